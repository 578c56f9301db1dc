#include "tests/integration/simulated_ue.h"

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // must match Debian's libcpp-httplib (see ub_server.cc)
#endif
#include <httplib.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bootstrap/protocol/bootstrapping_info.h"
#include "bootstrap/protocol/digest_aka.h"
#include "uicc/base/milenage.h"

namespace gbabridge::testing {
namespace {

constexpr char kUserAgent[] = "gbabridge-bench/0.1.0";

absl::Status HttpFailure(const char* step, const httplib::Result& result) {
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat(step, ": no HTTP answer (", httplib::to_string(result.error()), ")"));
  }
  return absl::InternalError(absl::StrCat(step, ": HTTP ", result->status));
}

}  // namespace

std::vector<UeCredentials> MakeTestSubscribers(int count) {
  std::vector<UeCredentials> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    UeCredentials ue;
    ue.impi = absl::StrFormat("bench%07d@ims.mnc001.mcc001.3gppnetwork.org", i);
    ue.k = SecretBytes(16);
    ue.opc = SecretBytes(16);
    RAND_bytes(ue.k.data(), 16);
    RAND_bytes(ue.opc.data(), 16);
    out.push_back(std::move(ue));
  }
  return out;
}

std::string SubscriberImportJson(const std::vector<UeCredentials>& ues) {
  std::string out = "{\"subscribers\": [\n";
  for (size_t i = 0; i < ues.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",\n", "{\"impi\": \"", ues[i].impi,
                    absl::StrFormat("\", \"imsi\": \"00101%010d\"", i), ", \"k\": \"",
                    ues[i].k.RevealHex(), "\", \"opc\": \"", ues[i].opc.RevealHex(), "\"}");
  }
  out += "\n]}\n";
  return out;
}

SimulatedUe::SimulatedUe(const std::string& host, int port)
    : client_(std::make_unique<httplib::Client>(host, port)) {
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);  // as libcurl (the device's Ub client) does by default
  client_->set_connection_timeout(5, 0);
  client_->set_read_timeout(10, 0);
}

SimulatedUe::~SimulatedUe() = default;

absl::Status SimulatedUe::Healthz() {
  httplib::Result result = client_->Get("/healthz");
  if (!result || result->status != 200) return HttpFailure("GET /healthz", result);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SimulatedUe::Bootstrap(const UeCredentials& ue, uint64_t* sqn_out) {
  // TS 24.109 §4.4.2: the first request names the IMPI and carries an empty nonce.
  httplib::Headers first = {
      {"Authorization", absl::StrCat("Digest username=\"", ue.impi,
                                     "\", realm=\"bench\", nonce=\"\", uri=\"/\", response=\"\"")},
      {"User-Agent", kUserAgent}};
  httplib::Result challenge_reply = client_->Get("/", first);
  if (!challenge_reply || challenge_reply->status != 401) {
    return HttpFailure("Ub challenge", challenge_reply);
  }
  absl::StatusOr<DigestChallenge> challenge =
      ParseWwwAuthenticate(challenge_reply->get_header_value("WWW-Authenticate"));
  if (!challenge.ok()) return challenge.status();
  absl::StatusOr<AkaNonce> nonce = DecodeAkaNonce(challenge->nonce);
  if (!nonce.ok()) return nonce.status();

  // The USIM's part (TS 33.102 §6.3.3): f5 unmasks SQN, f1 checks MAC-A, f2 gives RES.
  absl::StatusOr<Milenage> milenage = Milenage::Create(ue.k, ue.opc);
  if (!milenage.ok()) return milenage.status();
  Rand rand{};
  std::copy_n(nonce->rand.begin(), kRandSize, rand.begin());
  MilenageF2345 keys = milenage->F2345(rand);
  Sqn sqn{};
  for (size_t i = 0; i < kSqnSize; ++i) sqn[i] = nonce->autn[i] ^ keys.ak[i];
  if (sqn_out != nullptr) {
    *sqn_out = 0;
    for (uint8_t b : sqn) *sqn_out = (*sqn_out << 8) | b;
  }
  const Amf amf = {nonce->autn[kSqnSize], nonce->autn[kSqnSize + 1]};
  const Mac mac = milenage->F1(rand, sqn, amf);
  if (!ConstantTimeEquals(mac, ByteView(nonce->autn).subspan(kSqnSize + kAmfSize, kMacSize))) {
    return absl::UnauthenticatedError("network authentication failed: AUTN MAC invalid");
  }

  DigestAuthorization answer;
  answer.username = ue.impi;
  answer.realm = challenge->realm;
  answer.nonce = challenge->nonce;
  answer.uri = "/";
  answer.algorithm = kAkaV1Md5;
  answer.qop = kQopAuthInt;
  answer.nc = "00000001";
  answer.cnonce = "62656e6368636e6f";
  answer.opaque = challenge->opaque;
  absl::StatusOr<std::string> response = ComputeDigestResponse(answer, keys.res, "GET", {});
  if (!response.ok()) return response.status();
  answer.response = *response;
  httplib::Headers second = {{"Authorization", FormatAuthorization(answer)},
                             {"User-Agent", kUserAgent}};
  httplib::Result ok_reply = client_->Get("/", second);
  if (!ok_reply || ok_reply->status != 200) return HttpFailure("Ub answer", ok_reply);

  // Mutual authentication (TS 24.109 §4.4.4): rspauth over the BootstrappingInfo body.
  absl::StatusOr<AuthenticationInfo> info =
      ParseAuthenticationInfo(ok_reply->get_header_value("Authentication-Info"));
  if (!info.ok()) return info.status();
  absl::StatusOr<std::string> rspauth = ComputeRspauth(answer, keys.res, AsBytes(ok_reply->body));
  if (!rspauth.ok()) return rspauth.status();
  if (!DigestEquals(*rspauth, info->rspauth)) {
    return absl::UnauthenticatedError("BSF not authentic: rspauth does not match");
  }
  absl::StatusOr<BootstrappingInfo> bootstrapping = ParseBootstrappingInfo(ok_reply->body);
  if (!bootstrapping.ok()) return bootstrapping.status();
  return bootstrapping->btid;
}

}  // namespace gbabridge::testing
