// Helpers for the bsf-sim tests: temporary directories, a provisioned subscriber
// database, the UE's side of AKA computed independently with Milenage, and throw-away
// X.509 certificates for the TLS listeners.
#ifndef GBABRIDGE_TESTS_UNIT_BSF_SIM_BSF_SIM_TEST_UTIL_H_
#define GBABRIDGE_TESTS_UNIT_BSF_SIM_BSF_SIM_TEST_UTIL_H_

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bsf_sim/subscriber_import.h"
#include "bsf_sim/subscriber_store.h"
#include "gtest/gtest.h"
#include "uicc/base/bytes.h"
#include "uicc/base/milenage.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::bsf::testing {

// TS 35.208 test set 1 (published test keys, never for real use).
inline constexpr char kTestK[] = "465b5ce8b199b49faa5f0a2ee238a6bc";
inline constexpr char kTestOp[] = "cdc202d5123e20f62b6d676ac72cb318";
inline constexpr char kTestOpc[] = "cd63cb71954a9f4e48a5994e37a02baf";
inline constexpr char kTestImsi[] = "001010123456789";
inline constexpr char kTestImpi[] = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
// A second subscriber, GBA_U.
inline constexpr char kGbaUImsi[] = "001010000000042";
inline constexpr char kGbaUImpi[] = "alice@ims.mnc001.mcc001.3gppnetwork.org";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bsf-sim-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(std::string_view name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string TestSubscribersJson() {
  return absl::StrCat(R"({"subscribers": [
    {"imsi": ")",
                      kTestImsi, R"(", "k": ")", kTestK, R"(", "opc": ")", kTestOpc, R"(",
     "amf": "8000", "uss": {"naf.example.org": "AQIDBA==", "naf2.example.org": "CQ==",
                              "gsid:42": "BQYH"}},
    {"impi": ")",
                      kGbaUImpi, R"(", "imsi": ")", kGbaUImsi, R"(", "k": ")", kTestK,
                      R"(", "op": ")", kTestOp, R"(", "gba_u": true}
  ]})");
}

// A database at `path` holding the two test subscribers.
inline std::unique_ptr<SubscriberStore> MakeTestStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SubscriberStore>> store = SubscriberStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  absl::StatusOr<std::vector<Subscriber>> subs = ParseSubscriberImport(TestSubscribersJson());
  EXPECT_TRUE(subs.ok()) << subs.status();
  if (!subs.ok()) return nullptr;
  absl::Status imported = (*store)->Import(*subs, /*replace=*/false);
  EXPECT_TRUE(imported.ok()) << imported;
  return *std::move(store);
}

inline Milenage TestMilenage() {
  absl::StatusOr<SecretBytes> k = SecretBytes::FromHex(kTestK);
  absl::StatusOr<SecretBytes> opc = SecretBytes::FromHex(kTestOpc);
  absl::StatusOr<Milenage> milenage = Milenage::Create(*k, *opc);
  EXPECT_TRUE(milenage.ok());
  return *std::move(milenage);
}

inline uint64_t SqnValue(ByteView sqn) {
  uint64_t value = 0;
  for (uint8_t b : sqn) value = (value << 8) | b;
  return value;
}

inline Sqn SqnBytes(uint64_t value) {
  Sqn out{};
  for (int i = 5; i >= 0; --i, value >>= 8)
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(value);
  return out;
}

// AUTS = (SQN_MS xor AK*) || f1*(SQN_MS, RAND, AMF 00 00), built here from Milenage
// directly (TS 33.102 §6.3.3).
inline Bytes MakeAuts(const Milenage& milenage, const Rand& rand, uint64_t sqn_ms,
                      bool corrupt_mac = false) {
  const Sqn sqn = SqnBytes(sqn_ms);
  const Ak ak_star = milenage.F5Star(rand);
  Mac mac_s = milenage.F1Star(rand, sqn, Amf{0, 0});
  if (corrupt_mac) mac_s[0] ^= 0x01;
  Bytes auts;
  for (size_t i = 0; i < 6; ++i) auts.push_back(sqn[i] ^ ak_star[i]);
  auts.insert(auts.end(), mac_s.begin(), mac_s.end());
  return auts;
}

// --- Throw-away PKI for the TLS tests ---------------------------------------------------

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

namespace internal {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

inline std::string PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

inline std::string PemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace internal

// A P-256 certificate for `cn` with these subjectAltNames ("DNS:a,IP:127.0.0.1"), signed by
// the issuer (self-signed CA when issuer is null).
class TestPki {
 public:
  TestPki() {
    ca_key_.reset(EVP_EC_gen("P-256"));
    ca_cert_.reset(MakeCert("bsf-sim test CA", "", ca_key_.get(), nullptr, nullptr, true));
  }
  std::string ca_pem() const { return internal::PemOf(ca_cert_.get()); }

  KeyAndCert Issue(const std::string& cn, const std::string& sans) const {
    std::unique_ptr<EVP_PKEY, internal::PkeyFree> key(EVP_EC_gen("P-256"));
    std::unique_ptr<X509, internal::X509Free> cert(
        MakeCert(cn, sans, key.get(), ca_cert_.get(), ca_key_.get(), false));
    return {internal::PemOf(key.get()), internal::PemOf(cert.get())};
  }

 private:
  static X509* MakeCert(const std::string& cn, const std::string& sans, EVP_PKEY* key, X509* issuer,
                        EVP_PKEY* issuer_key, bool ca) {
    static long serial = 1;
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509* signer = issuer != nullptr ? issuer : cert;
    if (ca) {
      internal::AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
      internal::AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      internal::AddExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
      internal::AddExtension(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth");
      if (!sans.empty()) internal::AddExtension(cert, signer, NID_subject_alt_name, sans.c_str());
    }
    X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256());
    return cert;
  }

  std::unique_ptr<EVP_PKEY, internal::PkeyFree> ca_key_;
  std::unique_ptr<X509, internal::X509Free> ca_cert_;
};

}  // namespace gbabridge::bsf::testing

#endif  // GBABRIDGE_TESTS_UNIT_BSF_SIM_BSF_SIM_TEST_UTIL_H_
