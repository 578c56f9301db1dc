// The one version string of every gbabridge binary (--version, User-Agent and Server
// product tokens, GetStatus). The top-level CMakeLists.txt refuses to configure when it
// differs from project(VERSION), which also versions the Debian package.
#ifndef GBABRIDGE_UICC_BASE_VERSION_H_
#define GBABRIDGE_UICC_BASE_VERSION_H_

namespace gbabridge {

inline constexpr char kGbabridgeVersion[] = "0.1.0";

}  // namespace gbabridge

#endif  // GBABRIDGE_UICC_BASE_VERSION_H_
