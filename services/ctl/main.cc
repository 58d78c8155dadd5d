// ilpctl: the operator's CLI for an ilp-node, over gRPC.
//
//   ilpctl --node 127.0.0.1:7070 patient get ID [--resolve]
//   ilpctl --node ... patient find --nik N | --name PREFIX | --village CODE
//   ilpctl --node ... patient history ID
//   ilpctl --node ... tasks [--for NODE] [--all]
//   ilpctl --node ... changes [--after SEQ] [--follow]
//
// Every command takes -o table (default) or -o json. Exit codes: 0 ok,
// 1 error, 2 usage, 3 node unreachable.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "ilp/v1/records_service.grpc.pb.h"

namespace {

constexpr int kExitError = 1;
constexpr int kExitUnreachable = 3;

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = false;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

int Fail(const grpc::Status& s) {
  std::fprintf(stderr, "ilpctl: %s: %s\n",
               s.error_code() == grpc::StatusCode::UNAVAILABLE ? "node unreachable" : "error",
               s.error_message().c_str());
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
             ? kExitUnreachable
             : kExitError;
}

void PatientRow(const ilp::v1::Patient& p) {
  std::string nik;
  for (const auto& id : p.identifiers()) {
    if (id.system() == ilp::v1::NIK) nik = id.value();
  }
  std::printf("%-36s  %-24s  %-16s  %-10s  %s\n", p.id().c_str(), p.name().c_str(),
              nik.empty() ? "-" : nik.c_str(), p.address().village_code().c_str(),
              p.same_as().empty() ? "" : ("same as " + p.same_as()).c_str());
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (seconds > 0) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ilpctl: operate an ILP sync node"};
  app.require_subcommand(1);
  std::string node = "127.0.0.1:7070", output = "table";
  int timeout = 10;
  app.add_option("--node", node, "node address HOST:PORT")->capture_default_str();
  app.add_option("-o,--output", output, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  app.add_option("--timeout", timeout, "seconds per call")->capture_default_str();

  auto* patient = app.add_subcommand("patient", "read patients");
  patient->require_subcommand(1);
  std::string id;
  bool resolve = false;
  auto* pget = patient->add_subcommand("get", "one patient by id");
  pget->add_option("id", id, "patient id")->required();
  pget->add_flag("--resolve", resolve, "follow same-as links to the surviving record");
  std::string nik, name, village;
  auto* pfind = patient->add_subcommand("find", "find by NIK, name prefix or village");
  pfind->add_option("--nik", nik, "16-digit NIK");
  pfind->add_option("--name", name, "name prefix");
  pfind->add_option("--village", village, "10-digit village code");
  auto* phist = patient->add_subcommand("history", "everything recorded about a patient");
  phist->add_option("id", id, "patient id")->required();

  auto* tasks = app.add_subcommand("tasks", "follow-up tasks addressed to a node");
  std::string for_node;
  bool all = false;
  tasks->add_option("--for", for_node, "assignee node (default: the node asked)");
  tasks->add_flag("--all", all, "include completed and cancelled tasks");

  auto* changes = app.add_subcommand("changes", "print the change feed");
  uint64_t after = 0;
  bool follow = false;
  changes->add_option("--after", after, "start after this sequence number");
  changes->add_flag("--follow", follow, "keep following new changes");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto stub = ilp::v1::Records::NewStub(grpc::CreateChannel(node, grpc::InsecureChannelCredentials()));
  const bool json = output == "json";
  if (*pget || *phist) {
    if (*pget) {
      ilp::v1::GetPatientRequest req;
      req.set_id(id);
      req.set_resolve_links(resolve);
      ilp::v1::Patient p;
      grpc::Status s = stub->GetPatient(Ctx(timeout).get(), req, &p);
      if (!s.ok()) return Fail(s);
      if (json) std::cout << Json(p) << "\n"; else PatientRow(p);
      return 0;
    }
    ilp::v1::ListPatientHistoryRequest req;
    req.set_patient_id(id);
    ilp::v1::ListPatientHistoryResponse resp;
    grpc::Status s = stub->ListPatientHistory(Ctx(timeout).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      std::cout << Json(resp) << "\n";
      return 0;
    }
    PatientRow(resp.patient());
    for (const auto& item : resp.items()) {
      const auto* d = item.GetDescriptor()->FindOneofByName("item");
      const auto* f = item.GetReflection()->GetOneofFieldDescriptor(item, d);
      std::printf("  %-18s %s\n", f ? f->name().c_str() : "?",
                  f ? Json(item.GetReflection()->GetMessage(item, f)).c_str() : "");
    }
    return 0;
  }
  if (*pfind) {
    ilp::v1::FindPatientsRequest req;
    req.set_nik(nik);
    req.set_name_prefix(name);
    req.set_village_code(village);
    ilp::v1::FindPatientsResponse resp;
    grpc::Status s = stub->FindPatients(Ctx(timeout).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) std::cout << Json(resp) << "\n";
    else for (const auto& p : resp.patients()) PatientRow(p);
    return 0;
  }
  if (*tasks) {
    ilp::v1::ListTasksRequest req;
    req.set_node(for_node);
    req.set_include_closed(all);
    ilp::v1::ListTasksResponse resp;
    grpc::Status s = stub->ListTasks(Ctx(timeout).get(), req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      std::cout << Json(resp) << "\n";
      return 0;
    }
    for (const auto& t : resp.tasks()) {
      std::printf("%-36s  %-14s  %-12s  due %04d-%02d-%02d  %s%s%s\n", t.id().c_str(),
                  ilp::v1::TaskState_Name(t.state()).c_str(), t.assignee_node().c_str(),
                  t.due_date().year(), t.due_date().month(), t.due_date().day(),
                  t.description().c_str(), t.outcome().empty() ? "" : " -> ", t.outcome().c_str());
    }
    return 0;
  }
  if (*changes) {
    ilp::v1::WatchChangesRequest req;
    req.set_after_seq(after);
    req.set_follow(follow);
    auto ctx = Ctx(follow ? 0 : timeout);
    auto reader = stub->WatchChanges(ctx.get(), req);
    ilp::v1::ChangeEvent ev;
    while (reader->Read(&ev)) {
      if (json) std::cout << Json(ev) << std::endl;
      else std::printf("%8llu  %-18s %-36s %s\n", static_cast<unsigned long long>(ev.seq()),
                       ev.kind().c_str(), ev.record_id().c_str(),
                       ev.via().empty() ? "local" : ("via " + ev.via()).c_str());
      std::fflush(stdout);
    }
    grpc::Status s = reader->Finish();
    return s.ok() ? 0 : Fail(s);
  }
  return 2;
}
