package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.relay.RelayTesting.connect;
import static org.redisalerts.relay.RelayTesting.metric;
import static org.redisalerts.relay.RelayTesting.startRelay;
import static org.redisalerts.testing.TestPublisher.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.testing.LogCapture;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.RecordingClient.Closed;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;
import redis.clients.jedis.Protocol;

/** SPEC 7: only the holder of a token for key K reads K's alerts. */
class TokenTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  @RegisterExtension final LogCapture log = new LogCapture();

  private static final Path KEYS = TestKeys.dir();
  private static final Path SECRET = TestKeys.secret(KEYS, 48);
  private static final JsonCodec codec = new JsonCodec();

  private RelayServer relay;
  private final List<RecordingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    for (RecordingClient c : clients) {
      c.close();
    }
    if (relay != null) {
      relay.close();
    }
  }

  private RelayServer secretRelay() throws Exception {
    relay = startRelay(redis, b -> b.tokenSecretFile(SECRET));
    return relay;
  }

  private static String token(List<String> queues, Duration ttl) throws Exception {
    return Tokens.mint(SECRET, null, null, queues, "alice", "t-1", ttl, null, null);
  }

  private static String token(String key) throws Exception {
    return token(List.of(key), Duration.ofHours(1));
  }

  private RecordingClient client() {
    RecordingClient c = connect(relay);
    clients.add(c);
    return c;
  }

  private static String identify(String key, String token) {
    return "{\"event\":\"identify\",\"queue\":\""
        + key
        + "\""
        + (token == null ? "" : ",\"token\":\"" + token + "\"")
        + "}";
  }

  /** Expects an error frame then a close with {@code code}; returns the close reason. */
  private static String expectClose(RecordingClient client, int code) throws Exception {
    JsonNode error = codec.readTree(client.nextText());
    assertThat(error.get("event").asText()).isEqualTo("error");
    Closed closed = client.nextClose();
    assertThat(closed.code()).as("close code, reason %s", closed.reason()).isEqualTo(code);
    assertThat(error.get("message").asText()).isEqualTo(closed.reason());
    return closed.reason();
  }

  @Test
  void aTokenForTheKeyIdentifiesAndTheReplySaysItsTimeLeft() throws Exception {
    secretRelay();
    RecordingClient c = client();
    c.send(identify("alert/acme-42", token("alert/acme-42")));
    JsonNode reply = codec.readTree(c.nextText());
    assertThat(reply.get("message").asText()).isEqualTo("you are now connected");
    assertThat(reply.get("ttl").asLong()).isBetween(3590L, 3600L);
    new TestPublisher(redis).push("alert/acme-42", alert("for alice", 1));
    assertThat(c.nextText()).isEqualTo(alert("for alice", 1));
  }

  @Test
  void aGlobInQueuesCoversTheKeysItMatches() throws Exception {
    secretRelay();
    RecordingClient c = client();
    c.send(
        identify(
            "alert/acme-42", token(List.of("alert/other", "alert/acme-*"), Duration.ofMinutes(5))));
    assertThat(c.nextText()).contains("you are now connected");
  }

  @Test
  void eachTokenRefusalClosesWithItsCodeAndReason() throws Exception {
    secretRelay();
    Instant now = Instant.now();
    String expired =
        sign(
            new JWTClaimsSet.Builder()
                .claim("queues", List.of("alert/acme-42"))
                .expirationTime(Date.from(now.minusSeconds(1))));
    String future =
        sign(
            new JWTClaimsSet.Builder()
                .claim("queues", List.of("alert/acme-42"))
                .notBeforeTime(Date.from(now.plusSeconds(120)))
                .expirationTime(Date.from(now.plusSeconds(600))));
    String noExp = sign(new JWTClaimsSet.Builder().claim("queues", List.of("alert/acme-42")));
    String farFuture = // as a Date, 2^63-1 seconds overflowed into the past: "expired"
        sign(
            new JWTClaimsSet.Builder()
                .claim("queues", List.of("alert/acme-42"))
                .claim("exp", Long.MAX_VALUE));
    String unsigned =
        new PlainJWT(
                new JWTClaimsSet.Builder()
                    .claim("queues", List.of("alert/acme-42"))
                    .expirationTime(Date.from(now.plusSeconds(600)))
                    .build())
            .serialize();
    String otherSecret =
        Tokens.mint(
            TestKeys.secret(KEYS, 40),
            null,
            null,
            List.of("alert/acme-42"),
            null,
            null,
            Duration.ofMinutes(5),
            null,
            null);

    assertThat(refusal(identify("alert/acme-42", null), 4003)).isEqualTo("token required");
    assertThat(refusal(identify("alert/acme-42", "not.a.jwt"), 4003)).startsWith("token invalid");
    assertThat(refusal(identify("alert/acme-42", unsigned), 4003))
        .isEqualTo("token invalid: unsigned (alg none)");
    assertThat(refusal(identify("alert/acme-42", otherSecret), 4003))
        .isEqualTo("token invalid: bad signature");
    assertThat(refusal(identify("alert/acme-42", expired), 4001)).isEqualTo("token expired");
    assertThat(refusal(identify("alert/acme-42", future), 4003))
        .isEqualTo("token invalid: not valid yet (nbf)");
    assertThat(refusal(identify("alert/acme-42", noExp), 4003)).isEqualTo("token invalid: no exp");
    assertThat(refusal(identify("alert/acme-42", farFuture), 4003))
        .isEqualTo("token invalid: exp is not a time between 1970 and 9999");
    assertThat(refusal(identify("alert/acme-43", token("alert/acme-42")), 4003))
        .isEqualTo("token does not cover alert/acme-43");
    // The allow-list and the relay's own keys come first, with 1008.
    assertThat(refusal(identify("secret/x", token("secret/x")), 1008)).contains("not allowed");
    assertThat(refusal(identify("watch:dead", token("watch:dead")), 1008)).contains("reserved");

    assertThat(metric(relay, "relay_refusals_total", "reason", "token_required")).isEqualTo(1);
    assertThat(metric(relay, "relay_refusals_total", "reason", "token_invalid")).isEqualTo(6);
    assertThat(metric(relay, "relay_refusals_total", "reason", "token_expired")).isEqualTo(1);
    assertThat(metric(relay, "relay_refusals_total", "reason", "token_not_covering")).isEqualTo(1);
  }

  private String refusal(String identify, int code) throws Exception {
    RecordingClient c = client();
    c.send(identify);
    return expectClose(c, code);
  }

  private static String sign(JWTClaimsSet.Builder claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
            claims.build());
    jwt.sign(new MACSigner(org.redisalerts.relay.auth.VerificationKeys.readSecret(SECRET)));
    return jwt.serialize();
  }

  @Test
  void anHmacTokenSignedWithThePublicKeyIsRefused() throws Exception {
    KeyPair rsa = TestKeys.rsa();
    Path publicKey = TestKeys.publicPem(KEYS, "rsa-attack", rsa);
    relay = startRelay(redis, b -> b.tokenPublicKey(publicKey));
    // The classic attack: the public key's own bytes as an HMAC secret, alg HS256.
    SignedJWT forged =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.HS256),
            new JWTClaimsSet.Builder()
                .claim("queues", List.of("alert/acme-42"))
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build());
    forged.sign(new MACSigner(Files.readAllBytes(publicKey)));
    assertThat(refusal(identify("alert/acme-42", forged.serialize()), 4003))
        .isEqualTo("token invalid: algorithm \"HS256\" is not accepted for this key");
    // A token the private key signed is accepted.
    String good =
        Tokens.mint(
            null,
            TestKeys.privatePem(KEYS, "rsa-attack", rsa),
            null,
            List.of("alert/acme-42"),
            null,
            null,
            Duration.ofMinutes(5),
            null,
            null);
    RecordingClient c = client();
    c.send(identify("alert/acme-42", good));
    assertThat(c.nextText()).contains("you are now connected");
  }

  @Test
  void ecAndEd25519KeysVerifyTheirTokens() throws Exception {
    for (String kind : List.of("ec256", "ec384", "ed25519")) {
      KeyPair pair =
          switch (kind) {
            case "ec256" -> TestKeys.ec("secp256r1");
            case "ec384" -> TestKeys.ec("secp384r1");
            default -> TestKeys.ed25519();
          };
      Path publicKey = TestKeys.publicPem(KEYS, kind, pair);
      relay = startRelay(redis, b -> b.tokenPublicKey(publicKey));
      String good =
          Tokens.mint(
              null,
              TestKeys.privatePem(KEYS, kind, pair),
              null,
              List.of("alert/acme-42"),
              null,
              null,
              Duration.ofMinutes(5),
              null,
              null);
      RecordingClient c = client();
      c.send(identify("alert/acme-42", good));
      assertThat(c.nextText()).as(kind).contains("you are now connected");
      relay.close();
      relay = null;
    }
  }

  @Test
  void issuerAndAudienceArePinnedWhenConfigured() throws Exception {
    relay =
        startRelay(
            redis,
            b -> b.tokenSecretFile(SECRET).tokenIssuer("https://app").tokenAudience("alerts"));
    String right =
        Tokens.mint(
            SECRET,
            null,
            null,
            List.of("alert/a-1"),
            null,
            null,
            Duration.ofMinutes(5),
            "https://app",
            "alerts");
    String wrongIssuer =
        Tokens.mint(
            SECRET,
            null,
            null,
            List.of("alert/a-1"),
            null,
            null,
            Duration.ofMinutes(5),
            "https://evil",
            "alerts");
    String noAudience =
        Tokens.mint(
            SECRET,
            null,
            null,
            List.of("alert/a-1"),
            null,
            null,
            Duration.ofMinutes(5),
            "https://app",
            null);
    assertThat(refusal(identify("alert/a-1", wrongIssuer), 4003))
        .isEqualTo("token invalid: wrong issuer (iss)");
    assertThat(refusal(identify("alert/a-1", noAudience), 4003))
        .isEqualTo("token invalid: wrong audience (aud)");
    RecordingClient c = client();
    c.send(identify("alert/a-1", right));
    assertThat(c.nextText()).contains("you are now connected");
  }

  @Test
  void anExpiredConnectionIsClosedAndWhatItDidNotGetStaysQueued() throws Exception {
    secretRelay();
    TestPublisher publisher = new TestPublisher(redis);
    String shortLived = token(List.of("alert/acme-42"), Duration.ofSeconds(2));
    Instant exp = SignedJWT.parse(shortLived).getJWTClaimsSet().getExpirationTime().toInstant();
    RecordingClient c = client();
    c.send(identify("alert/acme-42", shortLived));
    assertThat(c.nextText()).contains("you are now connected");
    publisher.push("alert/acme-42", alert("before", 1));
    assertThat(c.nextText()).isEqualTo(alert("before", 1));

    assertThat(expectClose(c, 4001)).isEqualTo("token expired");
    assertThat(Instant.now()).as("closed at exp, not before").isAfterOrEqualTo(exp);
    // Nothing is written after exp: alerts pushed now stay queued, every one of them.
    for (int i = 0; i < 10; i++) {
      publisher.push("alert/acme-42", alert("after", i));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.client().llen("watch") == 0);
    assertThat(redis.client().llen("alert/acme-42")).isEqualTo(10);
    assertThat(metric(relay, "relay_refusals_total", "reason", "token_expired")).isEqualTo(1);
  }

  @Test
  void aRefreshExtendsTheConnectionWithoutRepeatingOrSkippingAnAlert() throws Exception {
    secretRelay();
    TestPublisher publisher = new TestPublisher(redis);
    RecordingClient c = client();
    String first = token(List.of("alert/acme-42"), Duration.ofSeconds(3));
    Instant firstExpiry = SignedJWT.parse(first).getJWTClaimsSet().getExpirationTime().toInstant();
    c.send(identify("alert/acme-42", first));
    assertThat(c.nextText()).contains("you are now connected");
    List<String> received = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      publisher.push("alert/acme-42", alert("flow", i));
    }
    received.addAll(c.nextTexts(20));
    c.send("{\"event\":\"refresh\",\"token\":\"" + token("alert/acme-42") + "\"}");
    JsonNode refreshed = codec.readTree(c.nextText());
    assertThat(refreshed.get("event").asText()).isEqualTo("refreshed");
    assertThat(refreshed.get("ttl").asLong()).isGreaterThan(3000);
    for (int i = 20; i < 40; i++) {
      publisher.push("alert/acme-42", alert("flow", i));
    }
    received.addAll(c.nextTexts(20));
    // Past the first token's expiry the connection is still served.
    await()
        .atMost(Duration.ofSeconds(6))
        .until(() -> Instant.now().isAfter(firstExpiry.plusMillis(300)));
    publisher.push("alert/acme-42", alert("flow", 40));
    received.add(c.nextText());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i <= 40; i++) {
      expected.add(alert("flow", i));
    }
    assertThat(received).containsExactlyElementsOf(expected);
    c.assertNoMoreEvents();
  }

  @Test
  void aRefreshWithATokenThatDoesNotCoverTheKeyCloses() throws Exception {
    secretRelay();
    RecordingClient c = client();
    c.send(identify("alert/acme-42", token("alert/acme-42")));
    assertThat(c.nextText()).contains("you are now connected");
    c.send("{\"event\":\"refresh\",\"token\":\"" + token("alert/acme-43") + "\"}");
    assertThat(expectClose(c, 4003)).isEqualTo("token does not cover alert/acme-42");
  }

  @Test
  void identifyingWithAnotherKeyNeedsATokenThatCoversIt() throws Exception {
    secretRelay();
    RecordingClient c = client();
    c.send(identify("alert/acme-42", token(List.of("alert/acme-*"), Duration.ofMinutes(5))));
    assertThat(c.nextText()).contains("you are now connected");
    c.send(identify("alert/acme-43", null)); // the current token covers it
    assertThat(c.nextText()).contains("alert/acme-43");
    c.send(identify("alert/other-1", null));
    assertThat(expectClose(c, 4003)).isEqualTo("token does not cover alert/other-1");
  }

  @Test
  void revokingAConnectionsTokenClosesItWithinASecond() throws Exception {
    secretRelay();
    RecordingClient byId = client();
    byId.send(
        identify(
            "alert/acme-1",
            Tokens.mint(
                SECRET,
                null,
                null,
                List.of("alert/acme-1"),
                "bob",
                "jti-1",
                Duration.ofHours(1),
                null,
                null)));
    assertThat(byId.nextText()).contains("you are now connected");
    RecordingClient bySub = client();
    bySub.send(
        identify(
            "alert/acme-2",
            Tokens.mint(
                SECRET,
                null,
                null,
                List.of("alert/acme-2"),
                "carol",
                "jti-2",
                Duration.ofHours(1),
                null,
                null)));
    assertThat(bySub.nextText()).contains("you are now connected");
    RecordingClient other = client();
    other.send(identify("alert/acme-3", token("alert/acme-3")));
    assertThat(other.nextText()).contains("you are now connected");

    Instant start = Instant.now();
    Tokens.revoke(redis.endpoint(), "watch", true, "jti-1", Duration.ofHours(1));
    assertThat(expectClose(byId, 4003)).isEqualTo("token revoked");
    Tokens.revoke(redis.endpoint(), "watch", false, "carol", Duration.ofHours(1));
    assertThat(expectClose(bySub, 4003)).isEqualTo("token revoked");
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(2));
    other.assertNoMoreEvents();

    // Revoked tokens are refused at identify, too; a token of carol's issued later is not.
    assertThat(
            refusal(
                identify(
                    "alert/acme-1",
                    Tokens.mint(
                        SECRET,
                        null,
                        null,
                        List.of("alert/acme-1"),
                        "bob",
                        "jti-1",
                        Duration.ofHours(1),
                        null,
                        null)),
                4003))
        .isEqualTo("token revoked");
    assertThat(redis.client().ttl("watch:revoked")).isBetween(3500L, 3600L);
    assertThat(metric(relay, "relay_refusals_total", "reason", "token_revoked")).isEqualTo(3);
  }

  @Test
  void aRelayThatMissedARevocationChecksAgainWhenItListensAgain() throws Exception {
    secretRelay();
    RecordingClient c = client();
    c.send(
        identify(
            "alert/acme-1",
            Tokens.mint(
                SECRET,
                null,
                null,
                List.of("alert/acme-1"),
                "dave",
                "jti-9",
                Duration.ofHours(1),
                null,
                null)));
    assertThat(c.nextText()).contains("you are now connected");
    // Cut the relay's subscription, and revoke before it subscribes again (it waits 100 ms).
    redis.client().sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "pubsub");
    Tokens.revoke(redis.endpoint(), "watch", true, "jti-9", Duration.ofHours(1));
    assertThat(expectClose(c, 4003)).isEqualTo("token revoked");
  }

  @Test
  void keysRotateThroughTheJwksFileWithoutARestart() throws Exception {
    KeyPair first = TestKeys.rsa();
    KeyPair second = TestKeys.rsa();
    Path jwks = KEYS.resolve("keys.json");
    Files.writeString(jwks, jwks(first, "k1").toString());
    relay = startRelay(redis, b -> b.tokenJwks(jwks));
    String bySecond = signRsa(second, "k2");
    assertThat(refusal(identify("alert/a-1", bySecond), 4003))
        .isEqualTo("token invalid: no key \"k2\" in the key set");

    Files.writeString(jwks, "{ not json");
    RecordingClient stillFirst = client();
    stillFirst.send(identify("alert/a-1", signRsa(first, "k1")));
    assertThat(stillFirst.nextText())
        .as("a bad key set keeps the keys read before")
        .contains("you are now connected");

    Files.writeString(
        jwks,
        new JWKSet(List.of(jwks(first, "k1").getKeys().get(0), jwks(second, "k2").getKeys().get(0)))
            .toString());
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              RecordingClient c = client();
              c.send(identify("alert/a-1", signRsa(second, "k2")));
              assertThat(c.nextText()).contains("you are now connected");
            });
  }

  @Test
  void aTokenMintedWithAKidIsCheckedWithThatKeyOfTheKeySet() throws Exception {
    KeyPair first = TestKeys.rsa();
    KeyPair second = TestKeys.rsa();
    Path jwks = KEYS.resolve("two-keys.json");
    Files.writeString(
        jwks,
        new JWKSet(List.of(jwks(first, "k1").getKeys().get(0), jwks(second, "k2").getKeys().get(0)))
            .toString());
    relay = startRelay(redis, b -> b.tokenJwks(jwks));
    Path secondKey = TestKeys.privatePem(KEYS, "second-key", second);
    List<String> queues = List.of("alert/a-1");
    Duration ttl = Duration.ofMinutes(5);
    String named = Tokens.mint(null, secondKey, null, queues, null, null, ttl, null, null, "k2");
    RecordingClient c = client();
    c.send(identify("alert/a-1", named));
    assertThat(c.nextText()).contains("you are now connected");
    String unnamed = Tokens.mint(null, secondKey, null, queues, null, null, ttl, null, null);
    assertThat(refusal(identify("alert/a-1", unnamed), 4003)).startsWith("token invalid");
  }

  private static JWKSet jwks(KeyPair pair, String kid) {
    return new JWKSet(new RSAKey.Builder((RSAPublicKey) pair.getPublic()).keyID(kid).build());
  }

  private static String signRsa(KeyPair pair, String kid) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(),
            new JWTClaimsSet.Builder()
                .claim("queues", List.of("alert/a-1"))
                .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                .build());
    jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(pair.getPrivate()));
    return jwt.serialize();
  }

  @Test
  void aTokenIsNeverLogged() throws Exception {
    secretRelay();
    String valid =
        Tokens.mint(
            SECRET,
            null,
            null,
            List.of("alert/acme-42"),
            "erin",
            "jti-e",
            Duration.ofHours(1),
            null,
            null);
    RecordingClient c = client();
    c.send(identify("alert/acme-42", valid));
    assertThat(c.nextText()).contains("you are now connected");
    c.send("{\"event\":\"refresh\",\"token\":\"" + valid + "\"}");
    assertThat(c.nextText()).contains("refreshed");
    RecordingClient refused = client();
    refused.send(identify("alert/acme-43", valid));
    expectClose(refused, 4003);
    c.closeAndWait();
    await().atMost(Duration.ofSeconds(5)).until(() -> log.count("client closed key=") >= 1);
    String text = log.text();
    for (String part : valid.split("\\.")) {
      assertThat(text).doesNotContain(part);
    }
    assertThat(text).contains("sub=\"erin\"").contains("jti=\"jti-e\"");
  }

  @Test
  void noPartOfATokenReachesTheLogThroughItsHeader() throws Exception {
    // SPEC 7: a token is never logged, whole or in part. The header's alg and kid are the
    // client's text: a client that puts a token there (an outside probe did) must not see it in
    // the refusal or the log.
    secretRelay();
    String valid = token("alert/acme-42");
    for (String field : List.of("alg", "kid")) {
      String header =
          field.equals("alg")
              ? "{\"alg\":\"" + valid + "\",\"typ\":\"JWT\"}"
              : "{\"alg\":\"HS256\",\"kid\":\"" + valid + "\",\"typ\":\"JWT\"}";
      String smuggled = unsignedWithHeader(header);
      assertThat(refusal(identify("alert/acme-42", smuggled), 4003)).startsWith("token invalid");
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> log.count("client refused: token invalid") >= 1);
    String text = log.text();
    for (String part : valid.split("\\.")) {
      assertThat(text).doesNotContain(part.substring(0, 12));
    }
  }

  @Test
  void aTokenWithAClaimOfTheWrongTypeOrACriticalHeaderIsRefusedForWhatItIs() throws Exception {
    secretRelay();
    byte[] secret = org.redisalerts.relay.auth.VerificationKeys.readSecret(SECRET);
    String expAsText =
        signed(
            new JWSHeader.Builder(JWSAlgorithm.HS256).build(),
            "{\"queues\":[\"alert/acme-42\"],\"exp\":\"4102444800\"}",
            secret);
    String issAsList =
        signed(
            new JWSHeader.Builder(JWSAlgorithm.HS256).build(),
            "{\"queues\":[\"alert/acme-42\"],\"exp\":4102444800,\"iss\":[\"a\"]}",
            secret);
    String critical =
        signed(
            new JWSHeader.Builder(JWSAlgorithm.HS256)
                .criticalParams(java.util.Set.of("x-must"))
                .customParam("x-must", 1)
                .build(),
            "{\"queues\":[\"alert/acme-42\"],\"exp\":4102444800}",
            secret);
    assertThat(refusal(identify("alert/acme-42", expAsText), 4003))
        .isEqualTo("token invalid: exp is not a number");
    assertThat(refusal(identify("alert/acme-42", issAsList), 4003))
        .isEqualTo("token invalid: iss is not a string");
    assertThat(refusal(identify("alert/acme-42", critical), 4003))
        .isEqualTo("token invalid: it names critical header parameters (crit); none is understood");
  }

  /** A token for alert/acme-42 with {@code header} as given and a signature that is not one. */
  private static String unsignedWithHeader(String header) {
    return Base64URL.encode(header)
        + "."
        + Base64URL.encode("{\"queues\":[\"alert/acme-42\"],\"exp\":4102444800}")
        + "."
        + Base64URL.encode("signature");
  }

  private static String signed(JWSHeader header, String payload, byte[] secret) throws Exception {
    JWSObject jws = new JWSObject(header, new Payload(payload));
    jws.sign(new MACSigner(secret));
    return jws.serialize();
  }

  @Test
  void anAlgorithmNameFromTheClientCannotForgeAFieldOfTheRefusalLine() throws Exception {
    secretRelay();
    String alg = "HS256 key=\\\"alert/victim\\\"";
    String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
    String forged = unsignedWithHeader(header);

    String reason = refusal(identify("alert/acme-42", forged), 4003);

    // Not a JWS algorithm: not named at all (the header is the client's text).
    assertThat(reason)
        .isEqualTo(
            "token invalid: an algorithm that is not a JWS one is not accepted for this key");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> log.count("client refused: token invalid: an algorithm") == 1);
    String line =
        log.text()
            .lines()
            .filter(l -> l.contains("client refused: token invalid"))
            .findFirst()
            .orElseThrow();
    // Outside quoted values, the line names one key: the one the client identified with.
    String unquoted = line.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    assertThat(unquoted.split(" key=", -1)).as(line).hasSize(2);
    assertThat(line).contains(" key=\"alert/acme-42\"");
  }

  @Test
  void aSecretUnder32BytesIsRefusedAtStart() {
    Path tooShort = TestKeys.secret(KEYS, 31);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new RelayServer(
                    RelayConfig.builder(redis.endpoint())
                        .bind("127.0.0.1")
                        .port(0)
                        .tokenSecretFile(tooShort)
                        .build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("31 bytes")
        .hasMessageContaining("at least 32");
  }

  @Test
  void withTokensOffNothingChanges() throws Exception {
    relay = startRelay(redis, b -> b.allowKeys(List.of(new KeyGlob("alert/*"))));
    RecordingClient c = client();
    c.identify("alert/acme-42");
    assertThat(c.nextText())
        .isEqualTo(
            "{\"event\":\"identified\",\"message\":\"you are now connected\",\"queue\":\"alert/acme-42\"}");
  }
}
