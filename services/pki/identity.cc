#include "services/pki/identity.h"

#include <arpa/inet.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace ilp::pki {
namespace {

constexpr absl::string_view kScheme = "spiffe://";

bool IsLabelChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// A DNS label: 1-63 of [A-Za-z0-9-], no leading or trailing '-'.
bool IsDnsLabel(absl::string_view l) {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  for (char c : l) {
    if (!IsLabelChar(c)) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateDistrict(absl::string_view district) {
  bool ok = IsDnsLabel(district);
  for (char c : district) ok &= !absl::ascii_isupper(static_cast<unsigned char>(c));
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--district \"", district, "\": want 1-63 of a-z, 0-9 and '-', not starting or ending with '-'"));
}

absl::Status ValidateName(absl::string_view id, absl::string_view flag) {
  bool ok = !id.empty() && id.size() <= 64 && id != "." && id != "..";
  for (char c : id) {
    ok &= absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " \"", id, "\": want 1-64 of letters, digits, '-', '_' and '.'"));
}

absl::StatusOr<HostSan> ParseHost(absl::string_view host) {
  std::string bare(host);
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  unsigned char buf[16];
  if (inet_pton(AF_INET, bare.c_str(), buf) == 1 || inet_pton(AF_INET6, bare.c_str(), buf) == 1) {
    return HostSan{true, bare};
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  bool ok = !host.empty() && host.size() <= 253;
  for (size_t i = 0; ok && i < labels.size(); ++i) {
    ok = IsDnsLabel(labels[i]) || (i == 0 && labels[i] == "*" && labels.size() > 2);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--host \"", host, "\": want an IPv4/IPv6 address or a DNS name (labels of letters, digits, '-')"));
  }
  return HostSan{false, absl::AsciiStrToLower(host)};
}

std::string DistrictSpiffeId(absl::string_view district) { return absl::StrCat(kScheme, district); }

std::string SpiffeIdString(const SpiffeId& id) {
  return absl::StrCat(kScheme, id.district, id.kind == SpiffeId::kNode ? "/node/" : "/operator/", id.id);
}

absl::StatusOr<SpiffeId> ParseSpiffeId(absl::string_view uri) {
  auto bad = [uri] {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", uri, "\" is not spiffe://<district>/node/<id> or spiffe://<district>/operator/<name>"));
  };
  if (!absl::StartsWith(uri, kScheme)) return bad();
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kScheme.size()), '/');
  if (parts.size() != 3) return bad();
  SpiffeId out;
  if (parts[1] == "node") out.kind = SpiffeId::kNode;
  else if (parts[1] == "operator") out.kind = SpiffeId::kOperator;
  else return bad();
  if (!ValidateDistrict(parts[0]).ok() || !ValidateName(parts[2], "id").ok()) return bad();
  out.district = std::string(parts[0]);
  out.id = std::string(parts[2]);
  return out;
}

std::string FormatUnixTime(int64_t s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone());
}

}  // namespace ilp::pki
