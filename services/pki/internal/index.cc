#include "services/pki/internal/index.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/pki/identity.h"
#include "services/pki/internal/ossl.h"

namespace ilp::pki::internal {
namespace {

constexpr char kHeader[] = "# serial\tkind\tid\tnot_after\tstatus\trevoked_at\n";

// Parses "2026-01-02T00:00:00Z" into unix seconds; false if malformed.
bool ParseRfc3339(absl::string_view s, int64_t* out) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return false;
  *out = absl::ToUnixSeconds(t);
  return true;
}

}  // namespace

absl::StatusOr<std::vector<IndexEntry>> ParseIndex(absl::string_view text, const std::string& path) {
  std::vector<IndexEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    IndexEntry e;
    bool ok = f.size() == 6 && (f[1] == "node" || f[1] == "operator") &&
              (f[4] == "valid" || f[4] == "revoked") && ParseRfc3339(f[3], &e.not_after);
    if (ok) {
      e.serial_hex = CanonicalSerialHex(f[0]);
      e.kind = std::string(f[1]);
      e.id = std::string(f[2]);
      e.revoked = f[4] == "revoked";
      ok = !e.serial_hex.empty() && (!e.revoked || ParseRfc3339(f[5], &e.revoked_at));
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_no, ": want serial, kind, id, not_after, valid|revoked, revoked_at (tab-separated)"));
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string FormatIndex(const std::vector<IndexEntry>& entries) {
  std::string out = kHeader;
  for (const IndexEntry& e : entries) {
    absl::StrAppend(&out, e.serial_hex, "\t", e.kind, "\t", e.id, "\t", FormatUnixTime(e.not_after), "\t",
                    e.revoked ? "revoked" : "valid", "\t", e.revoked ? FormatUnixTime(e.revoked_at) : "-",
                    "\n");
  }
  return out;
}

}  // namespace ilp::pki::internal
