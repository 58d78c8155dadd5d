#include "services/ctl/format.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace ilp::ctl {

std::unique_ptr<grpc::ClientContext> Ctl::Ctx(int seconds) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (seconds > 0) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = false;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  // Printing a message we built cannot fail (no Any fields to resolve);
  // were it to, the partial text is still the best output there is.
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

int Fail(const grpc::Status& s) {
  const bool unreachable = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  std::fprintf(stderr, "ilpctl: %s: %s\n", unreachable ? "node unreachable" : "error",
               s.error_message().c_str());
  return unreachable ? kUnreachable : kError;
}

std::string Age(int64_t ms) {
  if (ms < 0) return "never";
  const int64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
  if (d > 0) return h % 24 ? absl::StrCat(d, "d", h % 24, "h") : absl::StrCat(d, "d");
  if (h > 0) return m % 60 ? absl::StrCat(h, "h", m % 60, "m") : absl::StrCat(h, "h");
  if (m > 0) return absl::StrCat(m, "m");
  return absl::StrCat(s, "s");
}

std::string Bytes(uint64_t n) {
  if (n < 1024) return absl::StrCat(n, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

std::string Time(int64_t ms) {
  if (ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::optional<int64_t> ParseAge(const std::string& s) {
  if (s.size() > 1 && s.back() == 'd') {
    int64_t days = 0;
    if (absl::SimpleAtoi(s.substr(0, s.size() - 1), &days) && days >= 0) return days * 86400000;
    return std::nullopt;
  }
  absl::Duration d;
  if (absl::ParseDuration(s, &d) && d >= absl::ZeroDuration()) return absl::ToInt64Milliseconds(d);
  return std::nullopt;
}

}  // namespace ilp::ctl
