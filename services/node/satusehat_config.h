// The rules of a node config's `satusehat` block (docs/satusehat.md). Every
// error is one line naming the field.
#ifndef ILP_SERVICES_NODE_SATUSEHAT_CONFIG_H_
#define ILP_SERVICES_NODE_SATUSEHAT_CONFIG_H_

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "ilp/v1/satusehat.pb.h"

namespace ilp {

// Checks `cfg` and fills defaults (interval 60 s, held recheck 3600 s,
// timeout 30 s). INVALID_ARGUMENT "satusehat.<field>: <rule>". An
// Organization or a site listed twice is refused: one exporter per
// Organization, one Organization per site.
ABSL_MUST_USE_RESULT absl::Status ValidateSatusehatConfig(v1::SatusehatConfig* cfg);

}  // namespace ilp

#endif  // ILP_SERVICES_NODE_SATUSEHAT_CONFIG_H_
