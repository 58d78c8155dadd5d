// audit: who read or wrote which patient, where and when (ilp.v1.Admin.ListAudit).
#include <cstdio>
#include <iostream>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ilp/v1/admin.grpc.pb.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

struct Args {
  std::string patient, sub, since;
  int limit = 0;
};

int Audit(const Ctl& c, const Args& a) {
  v1::ListAuditRequest req;
  req.set_patient_id(a.patient);
  req.set_sub(a.sub);
  req.set_limit(a.limit);
  if (!a.since.empty()) {
    std::optional<int64_t> age = ParseAge(a.since);
    if (!age) {
      std::fprintf(stderr, "ilpctl: --since %s: want an age such as 24h or 7d\n", a.since.c_str());
      return kUsage;
    }
    req.set_since_ms(absl::ToUnixMillis(absl::Now()) - *age);
  }
  v1::ListAuditResponse resp;
  grpc::Status s = v1::Admin::NewStub(c.channel)->ListAudit(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    for (const v1::AuditEntry& e : resp.events()) std::cout << Json(e) << "\n";
    return kOk;
  }
  std::printf("%-24s %-16s %-10s %-20s %-18s %-18s %s\n", "WHEN (UTC)", "NODE", "ROLE", "SUB", "RPC",
              "OUTCOME", "PATIENTS");
  for (const v1::AuditEntry& e : resp.events()) {
    const v1::AuditEvent& ev = e.event();
    std::printf("%-24s %-16s %-10s %-20s %-18s %-18s %s\n",
                absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::FromUnixMillis(e.at().wall_ms()),
                                 absl::UTCTimeZone()).c_str(),
                ev.node().c_str(), ev.role().empty() ? "-" : ev.role().c_str(),
                ev.sub().empty() ? "-" : ev.sub().c_str(), ev.rpc().c_str(), ev.outcome().c_str(),
                absl::StrJoin(ev.patient_ids(), ",").c_str());
  }
  return kOk;
}

}  // namespace

void AddAuditCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* audit = app->add_subcommand("audit", "who read or wrote which patient, where and when");
  audit->add_option("--patient", a->patient, "only events naming this patient id");
  audit->add_option("--sub", a->sub, "only events of this token subject");
  audit->add_option("--since", a->since, "only events younger than this age (24h, 7d)");
  audit->add_option("--limit", a->limit, "at most this many, the newest (default 10000)");
  audit->callback([a, run] { *run = [a](const Ctl& c) { return Audit(c, *a); }; });
}

}  // namespace ilp::ctl
