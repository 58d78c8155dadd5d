// patient get|find|history, tasks, changes: reads over ilp.v1.Records.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

void PatientRow(const v1::Patient& p) {
  std::string nik;
  for (const auto& id : p.identifiers()) {
    if (id.system() == v1::NIK) nik = id.value();
  }
  std::printf("%-36s  %-24s  %-16s  %-10s  %s\n", p.id().c_str(), p.name().c_str(),
              nik.empty() ? "-" : nik.c_str(), p.address().village_code().c_str(),
              p.same_as().empty() ? "" : ("same as " + p.same_as()).c_str());
}

struct Args {
  std::string id, nik, name, village, for_node;
  bool resolve = false, all = false, follow = false;
  uint64_t after = 0;
};

int PatientGet(const Ctl& c, const Args& a) {
  v1::GetPatientRequest req;
  req.set_id(a.id);
  req.set_resolve_links(a.resolve);
  v1::Patient p;
  grpc::Status s = v1::Records::NewStub(c.channel)->GetPatient(c.Ctx().get(), req, &p);
  if (!s.ok()) return Fail(s);
  if (c.json) std::cout << Json(p) << "\n"; else PatientRow(p);
  return kOk;
}

int PatientHistory(const Ctl& c, const Args& a) {
  v1::ListPatientHistoryRequest req;
  req.set_patient_id(a.id);
  v1::ListPatientHistoryResponse resp;
  grpc::Status s = v1::Records::NewStub(c.channel)->ListPatientHistory(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
    return kOk;
  }
  PatientRow(resp.patient());
  for (const auto& item : resp.items()) {
    const auto* d = item.GetDescriptor()->FindOneofByName("item");
    const auto* f = item.GetReflection()->GetOneofFieldDescriptor(item, d);
    std::printf("  %-18s %s\n", f ? f->name().c_str() : "?",
                f ? Json(item.GetReflection()->GetMessage(item, f)).c_str() : "");
  }
  return kOk;
}

int PatientFind(const Ctl& c, const Args& a) {
  v1::FindPatientsRequest req;
  req.set_nik(a.nik);
  req.set_name_prefix(a.name);
  req.set_village_code(a.village);
  v1::FindPatientsResponse resp;
  grpc::Status s = v1::Records::NewStub(c.channel)->FindPatients(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) std::cout << Json(resp) << "\n";
  else for (const auto& p : resp.patients()) PatientRow(p);
  return kOk;
}

int Tasks(const Ctl& c, const Args& a) {
  v1::ListTasksRequest req;
  req.set_node(a.for_node);
  req.set_include_closed(a.all);
  v1::ListTasksResponse resp;
  grpc::Status s = v1::Records::NewStub(c.channel)->ListTasks(c.Ctx().get(), req, &resp);
  if (!s.ok()) return Fail(s);
  if (c.json) {
    std::cout << Json(resp) << "\n";
    return kOk;
  }
  for (const auto& t : resp.tasks()) {
    const v1::Date& d = t.due_date();
    const std::string due = d.year() == 0 ? "no due date"
                                          : absl::StrFormat("due %04d-%02d-%02d", d.year(), d.month(), d.day());
    std::printf("%-36s  %-14s  %-12s  %-14s  %s%s%s\n", t.id().c_str(),
                v1::TaskState_Name(t.state()).c_str(), t.assignee_node().c_str(), due.c_str(),
                t.description().c_str(), t.outcome().empty() ? "" : " -> ", t.outcome().c_str());
  }
  return kOk;
}

int Changes(const Ctl& c, const Args& a) {
  v1::WatchChangesRequest req;
  req.set_after_seq(a.after);
  req.set_follow(a.follow);
  for (;;) {
    auto ctx = c.Ctx(a.follow ? 0 : c.timeout_s);
    auto reader = v1::Records::NewStub(c.channel)->WatchChanges(ctx.get(), req);
    v1::ChangeEvent ev;
    while (reader->Read(&ev)) {
      if (c.json) std::cout << Json(ev) << std::endl;
      else std::printf("%8llu  %-18s %-36s %s\n", static_cast<unsigned long long>(ev.seq()),
                       ev.kind().c_str(), ev.record_id().c_str(),
                       ev.via().empty() ? "local" : ("via " + ev.via()).c_str());
      std::fflush(stdout);
      req.set_after_seq(ev.seq());
    }
    grpc::Status s = reader->Finish();
    // The node ends a quiet follow stream after its idle timeout: reopen.
    if (a.follow && s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
    return s.ok() ? kOk : Fail(s);
  }
}

}  // namespace

void AddRecordsCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto bind = [a, run](int (*fn)(const Ctl&, const Args&)) {
    return [a, run, fn] { *run = [a, fn](const Ctl& c) { return fn(c, *a); }; };
  };
  auto* patient = app->add_subcommand("patient", "read patients");
  patient->require_subcommand(1);
  auto* get = patient->add_subcommand("get", "one patient by id");
  get->add_option("id", a->id, "patient id")->required();
  get->add_flag("--resolve", a->resolve, "follow same-as links to the surviving record");
  get->callback(bind(PatientGet));
  auto* find = patient->add_subcommand("find", "find by NIK, name prefix or village");
  find->add_option("--nik", a->nik, "16-digit NIK");
  find->add_option("--name", a->name, "name prefix");
  find->add_option("--village", a->village, "10-digit village code");
  find->callback(bind(PatientFind));
  auto* hist = patient->add_subcommand("history", "everything recorded about a patient");
  hist->add_option("id", a->id, "patient id")->required();
  hist->callback(bind(PatientHistory));

  auto* tasks = app->add_subcommand("tasks", "follow-up tasks addressed to a node");
  tasks->add_option("--for", a->for_node, "assignee node (default: the node asked)");
  tasks->add_flag("--all", a->all, "include completed and cancelled tasks");
  tasks->callback(bind(Tasks));

  auto* changes = app->add_subcommand("changes", "print the change feed");
  changes->add_option("--after", a->after, "start after this sequence number");
  changes->add_flag("--follow", a->follow, "keep following new changes (until Ctrl-C)");
  changes->callback(bind(Changes));
}

}  // namespace ilp::ctl
