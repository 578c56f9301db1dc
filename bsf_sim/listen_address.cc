#include "bsf_sim/listen_address.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bsf_sim/string_views.h"

namespace gbabridge::bsf {

std::string ListenAddress::WithPort(int bound_port) const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", bound_port);
  return absl::StrCat(host, ":", bound_port);
}

std::string ListenAddress::ToString() const { return WithPort(port); }

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("listen address \"", AbslView(text), "\" ",
                                                   AbslView(why),
                                                   " (expected HOST:PORT or [IPv6]:PORT)"));
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("has an unterminated IPv6 host");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("has no port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("needs brackets around an IPv6 host");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return bad("has no host");
  int port = -1;
  if (!absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) || port < 0 ||
      port > 65535) {
    return bad("has a port outside 0..65535");
  }
  out.port = port;
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  const std::string h(host);
  if (absl::AsciiStrToLower(h) == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace gbabridge::bsf
