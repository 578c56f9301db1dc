// UbClient: the HTTP transport of Ub (TS 24.109 §4) over libcurl. One instance keeps one
// connection for the two or three requests of a bootstrap.
//
// - HTTP and HTTPS; certificates are always verified (CA file, or the system store).
// - Connect and total timeouts; no redirects; only http/https.
// - Proxies come from the standard environment variables (http_proxy, https_proxy,
//   no_proxy), which libcurl reads itself.
// - Bodies are bounded; a larger reply is a malformed reply, not an allocation.
#ifndef GBABRIDGE_BOOTSTRAP_CLIENT_UB_CLIENT_H_
#define GBABRIDGE_BOOTSTRAP_CLIENT_UB_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gbabridge {

struct UbClientOptions {
  std::string bsf_url;  // http://host:port/ or https://host/
  std::string ca_file;  // PEM bundle; empty = the system store
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(20);
};

struct UbHttpResponse {
  long status = 0;
  // Header names lower-cased; repeated headers keep every value in order.
  std::multimap<std::string, std::string> headers;
  std::string body;

  // All values of a header (name in lower case).
  std::vector<std::string> Values(const std::string& name) const;
};

class UbClient {
 public:
  static absl::StatusOr<std::unique_ptr<UbClient>> Create(UbClientOptions options);
  ~UbClient();
  UbClient(const UbClient&) = delete;
  UbClient& operator=(const UbClient&) = delete;

  // GET the BSF URL with these request headers ("Name: value"). Transport failures are
  // GbaError kBsfUnreachable / kBsfTlsFailed naming the URL.
  absl::StatusOr<UbHttpResponse> Get(const std::vector<std::string>& headers,
                                     const std::string& user_agent);

  const std::string& url() const { return options_.bsf_url; }
  // The request-URI of the URL (its path, "/" when empty), as the digest "uri" parameter.
  std::string RequestUri() const;

 private:
  UbClient(UbClientOptions options, void* curl);
  UbClientOptions options_;
  void* curl_;  // CURL*
};

}  // namespace gbabridge

#endif  // GBABRIDGE_BOOTSTRAP_CLIENT_UB_CLIENT_H_
