// ZnDiameterClient: a NAF's Bootstrapping-Info-Request over Diameter (TS 29.109 §6.1),
// sent through this process's DiameterNode to the BSF peer, waiting for the answer.
// Thread-safe: any number of lookups may be in flight at once.
//
// Errors, each saying what the NAF should do:
//   NotFound          5403 DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID (unknown or
//                     expired B-TID: make the UE bootstrap again, TS 24.109 §5.2.4),
//                     5401 DIAMETER_ERROR_IDENTITY_UNKNOWN
//   PermissionDenied  5402 DIAMETER_ERROR_NOT_AUTHORIZED
//   InvalidArgument   5004/5005/5014 and other 5xxx: the request was malformed
//   Unavailable       3002 DIAMETER_UNABLE_TO_DELIVER (BSF peer not connected), 3004 busy,
//                     no answer in time
//   DataLoss          a success answer without valid key material
#ifndef GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DIAMETER_CLIENT_H_
#define GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DIAMETER_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/zn_diameter/diameter_node.h"
#include "proto/zn_diameter/zn_messages.h"

namespace gbabridge::zn_diameter {

class ZnDiameterClient {
 public:
  // `bsf_identity` is the BSF's Diameter Identity (Destination-Host), `bsf_realm` its realm
  // (Destination-Realm; empty: the identity without its first label).
  ZnDiameterClient(const DiameterNode& node, std::string bsf_identity, std::string bsf_realm);

  absl::StatusOr<ZnKeyAnswer> Lookup(const ZnQuery& query, absl::Duration timeout) const;

  // The outcome only, key material wiped at once: for benchmarks and health checks.
  absl::StatusOr<ZnResult> Exchange(const ZnQuery& query, absl::Duration timeout) const;

  const std::string& bsf_identity() const { return bsf_identity_; }

 private:
  const DiameterNode& node_;
  std::string bsf_identity_;
  std::string bsf_realm_;
};

// The absl::Status a NAF acts on for a failed Zn result (see above).
absl::Status StatusFromZnResult(const ZnResult& result, std::string_view bsf_identity);

}  // namespace gbabridge::zn_diameter

#endif  // GBABRIDGE_PROTO_ZN_DIAMETER_ZN_DIAMETER_CLIENT_H_
