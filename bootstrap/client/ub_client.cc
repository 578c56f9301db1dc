#include "bootstrap/client/ub_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "bootstrap/client/gba_error.h"

namespace gbabridge {
namespace {

// A BootstrappingInfo body is a few hundred bytes; anything this large is not a BSF reply.
constexpr size_t kMaxBodySize = 64 * 1024;
constexpr size_t kMaxHeaderBytes = 32 * 1024;

struct Collector {
  UbHttpResponse* response;
  size_t header_bytes = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Collector*>(user);
  const size_t n = size * count;
  if (c->response->body.size() + n > kMaxBodySize) {
    c->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  c->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Collector*>(user);
  const size_t n = size * count;
  c->header_bytes += n;
  if (c->header_bytes > kMaxHeaderBytes) {
    c->too_large = true;
    return 0;
  }
  std::string line(data, n);
  // A new status line (e.g. after "100 Continue") starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    c->response->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string value = line.substr(colon + 1);
  const size_t begin = value.find_first_not_of(" \t");
  const size_t end = value.find_last_not_of(" \t\r\n");
  value = begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
  c->response->headers.emplace(std::move(name), std::move(value));
  return n;
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<std::string> UbHttpResponse::Values(const std::string& name) const {
  std::vector<std::string> values;
  auto [begin, end] = headers.equal_range(name);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

absl::StatusOr<std::unique_ptr<UbClient>> UbClient::Create(UbClientOptions options) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (options.bsf_url.rfind("http://", 0) != 0 && options.bsf_url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("BSF URL must start with http:// or https://: ", options.bsf_url));
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("libcurl could not create a handle");
  return std::unique_ptr<UbClient>(new UbClient(std::move(options), curl));
}

UbClient::UbClient(UbClientOptions options, void* curl)
    : options_(std::move(options)), curl_(curl) {}

UbClient::~UbClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string UbClient::RequestUri() const {
  // scheme://authority[/path]: the digest-uri is the path (RFC 2617 §3.2.2).
  const size_t scheme_end = options_.bsf_url.find("://");
  const size_t path = options_.bsf_url.find('/', scheme_end + 3);
  return path == std::string::npos ? "/" : options_.bsf_url.substr(path);
}

absl::StatusOr<UbHttpResponse> UbClient::Get(const std::vector<std::string>& headers,
                                             const std::string& user_agent) {
  CURL* curl = static_cast<CURL*>(curl_);
  UbHttpResponse response;
  Collector collector{&response};
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  // Ub bodies are empty: no "Expect: 100-continue" games, no compression.
  list = curl_slist_append(list, "Accept: application/vnd.3gpp.bsf+xml");

  curl_easy_setopt(curl, CURLOPT_URL, options_.bsf_url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collector);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &collector);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (collector.too_large) {
    return GbaError(GbaErrorReason::kBsfMalformedReply,
                    absl::StrCat("BSF at ", options_.bsf_url, " sent an oversized reply"));
  }
  if (rc != CURLE_OK) {
    const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    if (IsTlsError(rc)) {
      return GbaError(GbaErrorReason::kBsfTlsFailed,
                      absl::StrCat("TLS with the BSF at ", options_.bsf_url, " failed: ", detail));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return GbaError(GbaErrorReason::kBsfUnreachable,
                      absl::StrCat("BSF at ", options_.bsf_url, " timed out: ", detail));
    }
    // The scheme is checked at construction, so CURLE_UNSUPPORTED_PROTOCOL here means the
    // reply was not HTTP at all ("Received HTTP/0.9 when not allowed"): the BSF was
    // reached, its answer is what is wrong (found by the Ub fault tests).
    if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_PARTIAL_FILE ||
        rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL) {
      return GbaError(GbaErrorReason::kBsfMalformedReply,
                      absl::StrCat("BSF at ", options_.bsf_url, " broke off its reply: ", detail));
    }
    return GbaError(GbaErrorReason::kBsfUnreachable,
                    absl::StrCat("BSF unreachable at ", options_.bsf_url, ": ", detail));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace gbabridge
