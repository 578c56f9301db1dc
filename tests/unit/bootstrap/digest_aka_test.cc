#include "bootstrap/protocol/digest_aka.h"

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bootstrap/protocol/base64.h"
#include "gtest/gtest.h"

namespace gbabridge {
namespace {

constexpr char kUser[] = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
constexpr char kRealm[] = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
// base64(bytes(range(0x80, 0x90)) + bytes(range(0x20, 0x30))): RAND || AUTN.
constexpr char kNonce[] = "gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8=";
constexpr char kResHex[] = "a54211d5e3ba50bf";  // RES of TS 35.208 test set 1

// The expected values below were computed outside the project with Python's hashlib:
//   import hashlib; md5 = lambda b: hashlib.md5(b).hexdigest().encode()
//   user = b"001010000000001@ims.mnc001.mcc001.3gppnetwork.org"
//   realm = b"bsf.mnc001.mcc001.pub.3gppnetwork.org"
//   nonce = b"gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8="
//   res = bytes.fromhex("a54211d5e3ba50bf")             # RES as raw bytes
//   ha1 = md5(user + b":" + realm + b":" + res)
//   kd = lambda ha2: md5(ha1 + b":" + nonce + b":00000001:0a4f113b:auth-int:" + ha2)

DigestAuthorization AkaAuthorization() {
  DigestAuthorization a;
  a.username = kUser;
  a.realm = kRealm;
  a.nonce = kNonce;
  a.uri = "/";
  a.algorithm = kAkaV1Md5;
  a.qop = kQopAuthInt;
  a.nc = "00000001";
  a.cnonce = "0a4f113b";
  return a;
}

SecretBytes Res() { return *SecretBytes::FromHex(kResHex); }

std::string Response(const DigestAuthorization& a, const SecretBytes& password,
                     std::string_view method, std::string_view body) {
  absl::StatusOr<std::string> r = ComputeDigestResponse(a, password, method, AsBytes(body));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value_or("");
}

TEST(DigestAkaResponseTest, AuthIntEmptyBodyWithRawResPassword) {
  // kd(md5(b"GET:/:" + md5(b""))).decode()
  EXPECT_EQ(Response(AkaAuthorization(), Res(), "GET", ""), "ffe4d4a35766cedf32216d09805b468f");
}

TEST(DigestAkaResponseTest, PasswordIsRawResNotHex) {
  // The same with the hex text of RES as the password (the classic mistake) gives
  // 15b7d732c379c4b1d04eb8b4f987a144: a different value.
  SecretBytes hex_password = SecretBytes::CopyFrom(AsBytes(kResHex));
  EXPECT_EQ(Response(AkaAuthorization(), hex_password, "GET", ""),
            "15b7d732c379c4b1d04eb8b4f987a144");
  EXPECT_NE(Response(AkaAuthorization(), Res(), "GET", ""), "15b7d732c379c4b1d04eb8b4f987a144");
}

TEST(DigestAkaResponseTest, AuthIntWithBody) {
  // kd(md5(b"POST:/:" + md5(b"hello body"))).decode()
  EXPECT_EQ(Response(AkaAuthorization(), Res(), "POST", "hello body"),
            "2e8984fac5ef7151f63baad10aec7f57");
}

TEST(DigestAkaResponseTest, AutsUsesEmptyPassword) {
  // RFC 3310 §3.4. ha1 = md5(user + b":" + realm + b":"); kd(md5(b"GET:/:" + md5(b"")))
  EXPECT_EQ(Response(AkaAuthorization(), SecretBytes(), "GET", ""),
            "9769fd82c52fd9fab7d9465a7091e876");
}

TEST(DigestAkaResponseTest, QopAuth) {
  // md5(ha1 + b":" + nonce + b":00000001:0a4f113b:auth:" + md5(b"GET:/"))
  DigestAuthorization a = AkaAuthorization();
  a.qop = "auth";
  EXPECT_EQ(Response(a, Res(), "GET", "ignored for auth"), "b542c47928cdceaf2982b0f80a716a69");
}

TEST(DigestAkaResponseTest, NoQopIsRfc2069) {
  // md5(ha1 + b":" + nonce + b":" + md5(b"GET:/"))
  DigestAuthorization a = AkaAuthorization();
  a.qop.reset();
  a.nc.reset();
  a.cnonce.reset();
  EXPECT_EQ(Response(a, Res(), "GET", ""), "b3f59e86f7a0c34652da5876521bbe91");
}

TEST(DigestAkaResponseTest, Rfc2617Section35Example) {
  // The worked example of RFC 2617 §3.5 (algorithm absent = MD5, qop=auth).
  DigestAuthorization a;
  a.username = "Mufasa";
  a.realm = "testrealm@host.com";
  a.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  a.uri = "/dir/index.html";
  a.qop = "auth";
  a.nc = "00000001";
  a.cnonce = "0a4f113b";
  const SecretBytes password = SecretBytes::CopyFrom(AsBytes("Circle Of Life"));
  EXPECT_EQ(Response(a, password, "GET", ""), "6629fae49393a05397450978507c4ef1");
}

TEST(DigestAkaResponseTest, RspauthUsesEmptyMethodAndResponseBody) {
  // xml = the body below; kd(md5(b":/:" + md5(xml))).decode()
  constexpr std::string_view kBody =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><BootstrappingInfo xmlns=\"uri:3gpp-gba\">"
      "<btid>gLGCg4SFhoeIiYqLjI2Ojw==@bsf.example.org</btid>"
      "<lifetime>2026-11-27T20:00:00Z</lifetime></BootstrappingInfo>";
  absl::StatusOr<std::string> rspauth = ComputeRspauth(AkaAuthorization(), Res(), AsBytes(kBody));
  ASSERT_TRUE(rspauth.ok()) << rspauth.status();
  EXPECT_EQ(*rspauth, "f39aab83970d876c3eb952d9764684f6");
}

TEST(DigestAkaResponseTest, RejectsIncompleteOrUnsupportedInputs) {
  DigestAuthorization no_nc = AkaAuthorization();
  no_nc.nc.reset();
  EXPECT_EQ(ComputeDigestResponse(no_nc, Res(), "GET", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  DigestAuthorization no_cnonce = AkaAuthorization();
  no_cnonce.cnonce.reset();
  EXPECT_FALSE(ComputeDigestResponse(no_cnonce, Res(), "GET", {}).ok());
  DigestAuthorization bad_nc = AkaAuthorization();
  bad_nc.nc = "1";
  EXPECT_FALSE(ComputeDigestResponse(bad_nc, Res(), "GET", {}).ok());
  DigestAuthorization list_qop = AkaAuthorization();
  list_qop.qop = "auth,auth-int";
  EXPECT_FALSE(ComputeDigestResponse(list_qop, Res(), "GET", {}).ok());
  for (const char* algorithm : {"AKAv2-MD5", "MD5-sess", "AKAv1-MD5-sess", "SHA-256"}) {
    DigestAuthorization a = AkaAuthorization();
    a.algorithm = algorithm;
    EXPECT_FALSE(ComputeDigestResponse(a, Res(), "GET", {}).ok()) << algorithm;
  }
  DigestAuthorization upper = AkaAuthorization();
  upper.algorithm = "akav1-md5";  // algorithm names compare case-insensitively
  EXPECT_TRUE(ComputeDigestResponse(upper, Res(), "GET", {}).ok());
}

TEST(DigestAkaResponseTest, ErrorsNeverContainThePassword) {
  DigestAuthorization a = AkaAuthorization();
  a.algorithm = "AKAv2-MD5";
  const SecretBytes password = SecretBytes::CopyFrom(AsBytes("PASSWORD-MARKER"));
  const absl::Status status = ComputeDigestResponse(a, password, "GET", {}).status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()).find("PASSWORD-MARKER"), std::string::npos);
  EXPECT_EQ(std::string(status.message()).find(kResHex), std::string::npos);
}

TEST(DigestAkaResponseTest, ThreadsGetTheSameAnswer) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&results, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<std::string> r = ComputeDigestResponse(AkaAuthorization(), Res(), "GET", {});
        if (!r.ok() || (i > 0 && *r != results[t])) {
          results[t] = "mismatch";
          return;
        }
        results[t] = *r;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& r : results) EXPECT_EQ(r, "ffe4d4a35766cedf32216d09805b468f");
}

TEST(DigestEqualsTest, ComparesCaseInsensitively) {
  EXPECT_TRUE(DigestEquals("ffe4d4a35766cedf32216d09805b468f", "FFE4D4A35766CEDF32216D09805B468F"));
  EXPECT_FALSE(
      DigestEquals("ffe4d4a35766cedf32216d09805b468f", "ffe4d4a35766cedf32216d09805b468e"));
  EXPECT_FALSE(DigestEquals("ffe4d4a35766cedf32216d09805b468f", "ffe4d4a35766cedf32216d09805b468"));
  EXPECT_FALSE(DigestEquals("", ""));  // an empty response never matches
  EXPECT_FALSE(DigestEquals("", "ffe4d4a35766cedf32216d09805b468f"));
}

// --- WWW-Authenticate ---------------------------------------------------------------------

TEST(DigestHeaderTest, WwwAuthenticateFormatAndParse) {
  DigestChallenge c;
  c.realm = kRealm;
  c.nonce = kNonce;
  c.algorithm = kAkaV1Md5;
  c.qop = kQopAuthInt;
  c.opaque = "5ccc069c403ebaf9f0171e9517f40e41";
  const std::string header = FormatWwwAuthenticate(c);
  EXPECT_EQ(header,
            "Digest realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
            "nonce=\"gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8=\", algorithm=AKAv1-MD5, "
            "qop=\"auth-int\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  absl::StatusOr<DigestChallenge> parsed = ParseWwwAuthenticate(header);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->realm, c.realm);
  EXPECT_EQ(parsed->nonce, c.nonce);
  EXPECT_EQ(parsed->algorithm, c.algorithm);
  EXPECT_EQ(parsed->qop, c.qop);
  EXPECT_EQ(parsed->opaque, c.opaque);
  EXPECT_FALSE(parsed->stale);

  c.opaque.reset();
  c.stale = true;
  EXPECT_EQ(FormatWwwAuthenticate(c),
            "Digest realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
            "nonce=\"gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8=\", algorithm=AKAv1-MD5, "
            "qop=\"auth-int\", stale=true");
  parsed = ParseWwwAuthenticate(FormatWwwAuthenticate(c));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->stale);
  EXPECT_FALSE(parsed->opaque.has_value());
}

TEST(DigestHeaderTest, CaseInsensitiveNamesReorderedParamsAndTokens) {
  absl::StatusOr<DigestChallenge> c = ParseWwwAuthenticate(
      "  DIGEST   QOP=\"auth-int\" ,ALGORITHM = AKAv1-MD5,Nonce=\"abc=\",  Realm=bsf.example,"
      " Stale=TRUE, domain=\"/\", charset=UTF-8  ");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->realm, "bsf.example");  // token form accepted (RFC 7235 §2.2)
  EXPECT_EQ(c->nonce, "abc=");
  EXPECT_EQ(c->algorithm, "AKAv1-MD5");
  EXPECT_EQ(c->qop, "auth-int");
  EXPECT_TRUE(c->stale);
}

TEST(DigestHeaderTest, QuotedPairEscapes) {
  absl::StatusOr<DigestChallenge> c =
      ParseWwwAuthenticate(R"(Digest realm="a \"quoted\" realm \\ with \x", nonce="n")");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->realm, R"(a "quoted" realm \ with x)");
  // Formatting escapes '"' and '\' again, and the result parses back to the same value.
  DigestChallenge out;
  out.realm = c->realm;
  out.nonce = "n";
  const std::string header = FormatWwwAuthenticate(out);
  EXPECT_EQ(header, R"(Digest realm="a \"quoted\" realm \\ with x", nonce="n")");
  EXPECT_EQ(ParseWwwAuthenticate(header)->realm, c->realm);
}

TEST(DigestHeaderTest, EmptyListElementsAreSkipped) {
  absl::StatusOr<DigestChallenge> c = ParseWwwAuthenticate("Digest ,realm=\"r\",, nonce=\"n\",");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->realm, "r");
}

TEST(DigestHeaderTest, FormatDropsCharactersThatWouldInjectHeaders) {
  DigestChallenge c;
  c.realm = "evil\r\nSet-Cookie: x=1";
  c.nonce = "n";
  c.algorithm = "AKAv1-MD5\r\nX: y";  // not a token: quoted, and the CR LF dropped
  const std::string header = FormatWwwAuthenticate(c);
  EXPECT_EQ(header.find('\r'), std::string::npos);
  EXPECT_EQ(header.find('\n'), std::string::npos);
  absl::StatusOr<DigestChallenge> parsed = ParseWwwAuthenticate(header);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->realm, "evilSet-Cookie: x=1");
  EXPECT_EQ(parsed->algorithm, "AKAv1-MD5X: y");
}

TEST(DigestHeaderTest, MalformedHeadersAreErrors) {
  const std::string huge = "Digest realm=\"" + std::string(9000, 'a') + "\", nonce=\"n\"";
  for (std::string_view bad : {
           std::string_view(""),
           std::string_view("   "),
           std::string_view("Digest"),                                        // no realm/nonce
           std::string_view("Digest realm=\"r\""),                            // no nonce
           std::string_view("Digest nonce=\"n\""),                            // no realm
           std::string_view("Basic realm=\"r\""),                             // not Digest
           std::string_view("realm=\"r\", nonce=\"n\""),                      // no scheme
           std::string_view("Digest realm=\"r, nonce=\"n\""),                 // unterminated quote
           std::string_view("Digest realm=\"r\", nonce=\"n"),                 // unterminated quote
           std::string_view("Digest realm=\"r\\"),                            // dangling backslash
           std::string_view("Digest realm \"r\", nonce=\"n\""),               // missing '='
           std::string_view("Digest realm=\"r\", nonce"),                     // missing '='
           std::string_view("Digest realm=, nonce=\"n\""),                    // missing value
           std::string_view("Digest realm=\"a\", REALM=\"b\", nonce=\"n\""),  // duplicate
           std::string_view("Digest realm=\"r\" nonce=\"n\""),                // missing ','
           std::string_view("Digest realm=\"r\", nonce=\"n\" junk"),          // trailing junk
           std::string_view("Digest realm=\"a\rb\", nonce=\"n\""),            // control character
           std::string_view("Digest realm=\"a\nb\", nonce=\"n\""),            // control character
           std::string_view("Digest dG9rZW42OA=="),                           // token68
           std::string_view("Digest realm=r@x, nonce=\"n\""),                 // '@' is not a tchar
           std::string_view(huge),
       }) {
    absl::StatusOr<DigestChallenge> c = ParseWwwAuthenticate(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad.substr(0, 80);
  }
}

TEST(DigestHeaderTest, TooManyParamsIsAnError) {
  std::string header = "Digest realm=\"r\", nonce=\"n\"";
  for (int i = 0; i < 40; ++i) header += ", x" + std::to_string(i) + "=1";
  EXPECT_FALSE(ParseWwwAuthenticate(header).ok());
}

// --- Authorization ------------------------------------------------------------------------

TEST(DigestHeaderTest, AuthorizationFormatAndParse) {
  DigestAuthorization a = AkaAuthorization();
  a.response = "ffe4d4a35766cedf32216d09805b468f";
  a.opaque = "5ccc069c403ebaf9f0171e9517f40e41";
  const std::string header = FormatAuthorization(a);
  EXPECT_EQ(header,
            "Digest username=\"001010000000001@ims.mnc001.mcc001.3gppnetwork.org\", "
            "realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", "
            "nonce=\"gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8=\", uri=\"/\", "
            "response=\"ffe4d4a35766cedf32216d09805b468f\", algorithm=AKAv1-MD5, qop=auth-int, "
            "nc=00000001, cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  absl::StatusOr<DigestAuthorization> p = ParseAuthorization(header);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->username, a.username);
  EXPECT_EQ(p->realm, a.realm);
  EXPECT_EQ(p->nonce, a.nonce);
  EXPECT_EQ(p->uri, a.uri);
  EXPECT_EQ(p->response, a.response);
  EXPECT_EQ(p->algorithm, a.algorithm);
  EXPECT_EQ(p->qop, a.qop);
  EXPECT_EQ(p->nc, a.nc);
  EXPECT_EQ(p->cnonce, a.cnonce);
  EXPECT_EQ(p->opaque, a.opaque);
  EXPECT_FALSE(p->auts.has_value());
}

TEST(DigestHeaderTest, InitialAuthorizationWithEmptyNonceAndResponse) {
  // TS 24.109 §4.4: the first request carries nonce="" and response="".
  DigestAuthorization a;
  a.username = kUser;
  a.realm = kRealm;
  a.uri = "/";
  const std::string header = FormatAuthorization(a);
  EXPECT_EQ(header,
            "Digest username=\"001010000000001@ims.mnc001.mcc001.3gppnetwork.org\", "
            "realm=\"bsf.mnc001.mcc001.pub.3gppnetwork.org\", nonce=\"\", uri=\"/\", "
            "response=\"\"");
  absl::StatusOr<DigestAuthorization> p = ParseAuthorization(header);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->nonce, "");
  EXPECT_EQ(p->response, "");
  EXPECT_FALSE(p->qop.has_value());
}

TEST(DigestHeaderTest, AuthorizationWithAuts) {
  DigestAuthorization a = AkaAuthorization();
  a.response = "9769fd82c52fd9fab7d9465a7091e876";
  a.auts = "AAECAwQFBgcICQoLDA0=";
  absl::StatusOr<DigestAuthorization> p = ParseAuthorization(FormatAuthorization(a));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->auts, a.auts);
  EXPECT_NE(FormatAuthorization(a).find("auts=\"AAECAwQFBgcICQoLDA0=\""), std::string::npos);
}

TEST(DigestHeaderTest, AuthorizationReorderedAndCaseInsensitive) {
  absl::StatusOr<DigestAuthorization> p = ParseAuthorization(
      "digest CNONCE=\"c\", NC=0000000a, QOP=auth-int, "
      "Response=\"FFE4D4A35766CEDF32216D09805B468F\","
      " URI=\"/\", NONCE=\"n\", REALM=\"r\", USERNAME=\"u\"");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->username, "u");
  EXPECT_EQ(p->nc, "0000000a");
  EXPECT_EQ(p->response, "FFE4D4A35766CEDF32216D09805B468F");
}

TEST(DigestHeaderTest, MalformedAuthorizationIsAnError) {
  for (std::string_view bad : {
           "Digest realm=\"r\", nonce=\"\", uri=\"/\", response=\"\"",       // no username
           "Digest username=\"u\", realm=\"r\", nonce=\"\", response=\"\"",  // no uri
           "Digest username=\"u\", realm=\"r\", nonce=\"\", uri=\"/\"",      // no response
           "Digest username=\"u\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"xyz\"",
           "Digest username=\"u\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"\", "
           "qop=auth-int, cnonce=\"c\"",  // qop without nc
           "Digest username=\"u\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"\", "
           "qop=auth-int, nc=1, cnonce=\"c\"",  // nc not 8 hex digits
           "Digest username=\"u\", username=\"v\", realm=\"r\", nonce=\"\", uri=\"/\", "
           "response=\"\"",  // duplicate
       }) {
    EXPECT_EQ(ParseAuthorization(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DigestHeaderTest, AuthorizationErrorsDoNotEchoValues) {
  const absl::Status status =
      ParseAuthorization(
          "Digest username=\"SECRET-USER\", realm=\"r\", nonce=\"\", uri=\"/\", "
          "response=\"SECRET-RESPONSE\"")
          .status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(std::string(status.message()).find("SECRET"), std::string::npos);
}

// --- Authentication-Info ------------------------------------------------------------------

TEST(DigestHeaderTest, AuthenticationInfoFormatAndParse) {
  AuthenticationInfo info;
  info.qop = kQopAuthInt;
  info.rspauth = "f39aab83970d876c3eb952d9764684f6";
  info.cnonce = "0a4f113b";
  info.nc = "00000001";
  const std::string header = FormatAuthenticationInfo(info);
  EXPECT_EQ(header,
            "qop=auth-int, rspauth=\"f39aab83970d876c3eb952d9764684f6\", cnonce=\"0a4f113b\", "
            "nc=00000001");
  absl::StatusOr<AuthenticationInfo> p = ParseAuthenticationInfo(header);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->qop, info.qop);
  EXPECT_EQ(p->rspauth, info.rspauth);
  EXPECT_EQ(p->cnonce, info.cnonce);
  EXPECT_EQ(p->nc, info.nc);
  EXPECT_FALSE(p->nextnonce.has_value());

  info.nextnonce = "bmV4dA==";
  p = ParseAuthenticationInfo(FormatAuthenticationInfo(info));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->nextnonce, info.nextnonce);
}

TEST(DigestHeaderTest, AuthenticationInfoToleratesDigestPrefixAndReordering) {
  absl::StatusOr<AuthenticationInfo> p = ParseAuthenticationInfo(
      "Digest NC=00000001, CNonce=\"c\", RSPAUTH=\"F39AAB83970D876C3EB952D9764684F6\", "
      "qop=\"auth-int\"");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rspauth, "F39AAB83970D876C3EB952D9764684F6");
  EXPECT_EQ(p->qop, "auth-int");
}

TEST(DigestHeaderTest, MalformedAuthenticationInfoIsAnError) {
  for (std::string_view bad : {
           "",
           "qop=auth-int",         // no rspauth
           "rspauth=\"\"",         // empty rspauth
           "rspauth=\"not-hex\"",  // not a digest
           "rspauth",              // missing '='
           "Basic rspauth=\"f39aab83970d876c3eb952d9764684f6\"",
           "rspauth=\"f39aab83970d876c3eb952d9764684f6\", nc=xyz",
           "rspauth=\"f39aab83970d876c3eb952d9764684f6\", "
           "rspauth=\"f39aab83970d876c3eb952d9764684f6\"",
       }) {
    EXPECT_EQ(ParseAuthenticationInfo(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// --- Robustness -----------------------------------------------------------------------------

TEST(DigestHeaderTest, RandomInputsNeverCrash) {
  std::mt19937 rng(20240611);
  const std::string valid = FormatAuthorization(AkaAuthorization());
  const std::string alphabet = "Digest =,\"\\\t realmnoce-_auth:0123456789abcdef\r\n";
  for (int i = 0; i < 10000; ++i) {
    std::string input;
    switch (i % 3) {
      case 0: {  // random bytes
        const size_t n = rng() % 300;
        for (size_t j = 0; j < n; ++j) input.push_back(static_cast<char>(rng() & 0xff));
        break;
      }
      case 1: {  // random characters from the grammar's own alphabet
        const size_t n = rng() % 300;
        for (size_t j = 0; j < n; ++j) input.push_back(alphabet[rng() % alphabet.size()]);
        break;
      }
      default: {  // a valid header, mutated and truncated
        input = valid;
        for (int m = 0; m < 3; ++m) input[rng() % input.size()] = static_cast<char>(rng() & 0xff);
        input.resize(rng() % (input.size() + 1));
        break;
      }
    }
    (void)ParseWwwAuthenticate(input);
    (void)ParseAuthorization(input);
    (void)ParseAuthenticationInfo(input);
    (void)DecodeAkaNonce(input);
  }
}

// --- AKA nonce ------------------------------------------------------------------------------

TEST(DigestAkaNonceTest, EncodeDecodeRoundTrip) {
  AkaNonce n;
  for (int i = 0; i < 16; ++i) n.rand.push_back(static_cast<uint8_t>(0x80 + i));
  for (int i = 0; i < 16; ++i) n.autn.push_back(static_cast<uint8_t>(0x20 + i));
  EXPECT_EQ(EncodeAkaNonce(n), kNonce);
  absl::StatusOr<AkaNonce> d = DecodeAkaNonce(kNonce);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->rand, n.rand);
  EXPECT_EQ(d->autn, n.autn);
  EXPECT_TRUE(d->server_data.empty());

  n.server_data = {0xde, 0xad, 0xbe, 0xef, 0x01};
  d = DecodeAkaNonce(EncodeAkaNonce(n));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rand, n.rand);
  EXPECT_EQ(d->autn, n.autn);
  EXPECT_EQ(d->server_data, n.server_data);
}

TEST(DigestAkaNonceTest, RejectsShortOrBadNonce) {
  EXPECT_FALSE(DecodeAkaNonce("").ok());
  EXPECT_FALSE(DecodeAkaNonce(Base64Encode(Bytes(31, 0x11))).ok());  // one byte short
  EXPECT_TRUE(DecodeAkaNonce(Base64Encode(Bytes(32, 0x11))).ok());
  EXPECT_EQ(DecodeAkaNonce("gIGCg4SFhoeIiYqLjI2OjyAhIiMkJSYnKCkqKywtLi8").status().code(),
            absl::StatusCode::kInvalidArgument);  // padding missing
  EXPECT_FALSE(DecodeAkaNonce("gIGCg4SFhoeIiYqLjI2Ojy!hIiMkJSYnKCkqKywtLi8=").ok());
  EXPECT_FALSE(DecodeAkaNonce(std::string(10000, 'A')).ok());  // too long
}

}  // namespace
}  // namespace gbabridge
