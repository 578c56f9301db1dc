// HOST:PORT listen addresses for the Ub and Zn listeners.
#ifndef GBABRIDGE_BSF_SIM_LISTEN_ADDRESS_H_
#define GBABRIDGE_BSF_SIM_LISTEN_ADDRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gbabridge::bsf {

struct ListenAddress {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost", "0.0.0.0"
  int port = 0;      // 0 = ephemeral

  // "host:port", with brackets around an IPv6 host.
  std::string ToString() const;
  std::string WithPort(int bound_port) const;
};

// "HOST:PORT" or "[IPv6]:PORT"; port 0..65535.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

// localhost, 127.0.0.0/8 and ::1: addresses no other machine can reach.
bool IsLoopbackHost(std::string_view host);

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_LISTEN_ADDRESS_H_
