// Who is calling a Records or Admin RPC, once verified (services/auth/gate.h):
// a plain struct the cores take, free of gRPC.
#ifndef ILP_SERVICES_AUTH_CALLER_H_
#define ILP_SERVICES_AUTH_CALLER_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace ilp::auth {

struct Caller {
  enum class Kind { kApp, kOperator };
  Kind kind = Kind::kApp;
  std::string sub;                 // token sub, or the operator certificate's name
  std::string role;                // token role; "operator" for the certificate
  std::string jti;                 // token id; empty for the certificate
  std::string node;                // token node claim: tasks/referrals addressed here
  std::vector<std::string> area;   // Kemendagri code prefixes
  std::vector<std::string> scopes; // records:read, records:write, admin:read, admin:write
  // A plaintext loopback node without an auth block (development and
  // in-process tests, AccessGate open_loopback): no area rule, no audit.
  bool unrestricted = false;

  bool Has(absl::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
  // True if village (or area) code `code` lies in the caller's area.
  bool InArea(absl::string_view code) const {
    if (code.empty()) return false;
    for (const std::string& a : area) {
      if (absl::StartsWith(code, a)) return true;
    }
    return false;
  }
};

}  // namespace ilp::auth

#endif  // ILP_SERVICES_AUTH_CALLER_H_
