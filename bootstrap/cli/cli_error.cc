#include "bootstrap/cli/cli_error.h"

#include <optional>
#include <ostream>

#include "bootstrap/client/gba_error.h"
#include "nlohmann/json.hpp"
#include "uicc/card_error.h"

namespace gbabridge::cli {

int ReportError(const CliError& error, bool json_output, std::ostream& out, std::ostream& err) {
  err << "error: " << error.message;
  if (!error.reason.empty()) err << " [" << error.reason << "]";
  err << "\n";
  if (json_output) {
    using nlohmann::json;
    out << json{{"error",
                 {{"message", error.message},
                  {"reason", error.reason.empty() ? json() : json(error.reason)},
                  {"grpc_code", error.grpc_code.empty() ? json() : json(error.grpc_code)},
                  {"exit_code", error.exit_code}}}}
               .dump(2)
        << "\n";
  }
  return error.exit_code;
}

CliError LocalError(const absl::Status& status) {
  CliError error;
  error.exit_code = ExitCodeFor(status);
  error.message = std::string(status.message());
  if (std::optional<GbaErrorReason> gba = GetGbaErrorReason(status)) {
    error.reason = std::string(GbaErrorReasonName(*gba));
  } else if (std::optional<CardErrorReason> card = GetCardErrorReason(status)) {
    error.reason = std::string(CardErrorReasonName(*card));
  } else if (absl::IsInvalidArgument(status)) {
    error.reason = kUsageReason;
  }  // else no reason: a made-up one (a status code's name) would only mislead scripts
  return error;
}

int ReportLocalError(const absl::Status& status, bool json_output, std::ostream& out,
                     std::ostream& err) {
  return ReportError(LocalError(status), json_output, out, err);
}

}  // namespace gbabridge::cli
