// satusehat status | retry --held: the SATUSEHAT export of one node over
// ilp.v1.Admin (docs/satusehat.md). status exits 4 when anything is held back
// or rejected, or the last export pass failed.
#include <cstdio>
#include <iostream>

#include "ilp/v1/admin.grpc.pb.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

int SatusehatStatus(const Ctl& c, int limit) {
  v1::SatusehatStatusRequest req;
  req.set_limit(limit);
  v1::SatusehatStatusResponse st;
  grpc::Status s = v1::Admin::NewStub(c.channel)->SatusehatStatus(c.Ctx().get(), req, &st);
  if (!s.ok()) return Fail(s);
  bool unhealthy = !st.last_error().empty();
  for (const auto& o : st.orgs()) unhealthy |= o.held() > 0 || o.rejected() > 0;
  if (c.json) {
    std::cout << Json(st) << "\n";
    return unhealthy ? kUnhealthy : kOk;
  }
  if (!st.enabled()) {
    std::printf("node %s exports nothing to SATUSEHAT (no satusehat block in its config)\n",
                st.node_id().c_str());
    return kOk;
  }
  std::printf("node %s exports to SATUSEHAT, queued up to change %llu; last pass: %s\n\n",
              st.node_id().c_str(), static_cast<unsigned long long>(st.cursor()),
              st.last_error().empty() ? "ok" : st.last_error().c_str());
  std::printf("%-14s %-18s %9s %9s %9s %9s %9s  %s\n", "ORGANIZATION", "PUSKESMAS NODE", "PENDING", "SENT",
              "HELD", "REJECTED", "SKIPPED", "OLDEST PENDING");
  for (const auto& o : st.orgs()) {
    std::printf("%-14s %-18s %9llu %9llu %9llu %9llu %9llu  %s\n", o.org_ihs().c_str(),
                o.puskesmas_node_id().c_str(), static_cast<unsigned long long>(o.pending()),
                static_cast<unsigned long long>(o.sent()), static_cast<unsigned long long>(o.held()),
                static_cast<unsigned long long>(o.rejected()), static_cast<unsigned long long>(o.skipped()),
                Time(o.oldest_pending_ms()).c_str());
  }
  for (const auto& o : st.orgs()) {
    if (o.top_reasons().empty()) continue;
    std::printf("\ntop reasons, %s:\n", o.org_ihs().c_str());
    for (const auto& r : o.top_reasons()) {
      std::printf("%9llu  %s\n", static_cast<unsigned long long>(r.count()), OrDash(r.reason()).c_str());
    }
  }
  if (st.problems().empty()) return unhealthy ? kUnhealthy : kOk;
  std::printf("\n%-8s %-13s %-38s %-13s %s\n", "STATE", "KIND", "RECORD", "CHANGED", "REASON");
  for (const auto& e : st.problems()) {
    std::printf("%-8s %-13s %-38s %-13s %s\n", e.state() == v1::EXPORT_HELD ? "held" : "rejected",
                e.kind().c_str(), e.record_id().c_str(), Time(e.updated_ms()).substr(0, 10).c_str(),
                OrDash(e.reason()).c_str());
  }
  return unhealthy ? kUnhealthy : kOk;
}

int SatusehatRetry(const Ctl& c) {
  v1::SatusehatRetryRequest req;
  req.set_held(true);
  v1::SatusehatRetryResponse resp;
  grpc::Status s = v1::Admin::NewStub(c.channel)->SatusehatRetry(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
  } else {
    std::printf("%d held-back records will be checked again at the next export pass\n", resp.held());
  }
  return kOk;
}

}  // namespace

void AddSatusehatCommands(CLI::App* app, Runner* run) {
  CLI::App* sat = app->add_subcommand("satusehat", "SATUSEHAT export of this node");
  sat->require_subcommand(1);
  auto limit = std::make_shared<int>(20);
  CLI::App* status = sat->add_subcommand(
      "status", "per Organization: pending, sent, held back, rejected; held and rejected records with reasons");
  status->add_option("--limit", *limit, "held-back and rejected records to list (0-1000)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  status->callback([run, limit] { *run = [limit](const Ctl& c) { return SatusehatStatus(c, *limit); }; });
  auto held = std::make_shared<bool>(false);
  CLI::App* retry = sat->add_subcommand("retry", "check held-back records again at the next pass (after a config fix)");
  retry->add_flag("--held", *held, "retry the held-back records")->required();
  // `held` lives as long as the callback that owns a copy (CLI11 writes the
  // flag into it while parsing, after this function has returned).
  retry->callback([run, held] { *run = [](const Ctl& c) { return SatusehatRetry(c); }; });
}

}  // namespace ilp::ctl
