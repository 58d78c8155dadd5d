// Every role against every RPC of ilp.v1.Records and ilp.v1.Admin (issue 12):
// the "Who may call what" tables of docs/security.md, asserted cell by cell
// through real gRPC with real tokens. The tables below are written from the
// docs, not read from the gate, and the test fails when a service gains an RPC
// the tables do not name, so a new handler cannot skip the gate unnoticed.

#include <functional>
#include <map>
#include <set>

#include "google/protobuf/descriptor.h"
#include "tests/auth/access_fixture.h"

namespace ilp {
namespace {

using ::testing::HasSubstr;
using namespace access_testing;  // NOLINT: the fixture and its constants

// docs/security.md, "Scopes by RPC".
const std::map<std::string, std::string>& ScopeOf() {
  static const auto* m = new std::map<std::string, std::string>{
      {"Records.CreatePatient", "records:write"},    {"Records.UpdatePatient", "records:write"},
      {"Records.LinkPatients", "records:write"},     {"Records.RecordEncounter", "records:write"},
      {"Records.MarkEnteredInError", "records:write"}, {"Records.CreateReferral", "records:write"},
      {"Records.TransitionReferral", "records:write"}, {"Records.RespondToReferral", "records:write"},
      {"Records.UpdateTask", "records:write"},       {"Records.GetPatient", "records:read"},
      {"Records.FindPatients", "records:read"},      {"Records.GetReferral", "records:read"},
      {"Records.ListPatientHistory", "records:read"}, {"Records.ListTasks", "records:read"},
      {"Records.WatchChanges", "records:read"},      {"Admin.GetStatus", "admin:read"},
      {"Admin.GetTree", "admin:read"},               {"Admin.ListConflicts", "admin:read"},
      {"Admin.Verify", "admin:read"},                {"Admin.ListQuarantine", "admin:read"},
      {"Admin.ListAudit", "admin:read"},             {"Admin.Backup", "admin:read"},
      {"Admin.SatusehatStatus", "admin:read"},       {"Admin.SyncNow", "admin:write"},
      {"Admin.RevokeToken", "admin:write"},          {"Admin.SatusehatRetry", "admin:write"},
      {"Admin.ExportBundle", "admin:write"},         {"Admin.ImportBundle", "admin:write"},
      {"Admin.ImportReceipt", "admin:write"},
  };
  return *m;
}

// docs/security.md, "Roles": the scopes a token of each role gets when
// `ilpctl token issue` is given no --scope.
const std::map<std::string, std::set<std::string>>& DefaultScopesOf() {
  static const auto* m = new std::map<std::string, std::set<std::string>>{
      {"kader", {"records:read", "records:write"}},
      {"bidan", {"records:read", "records:write"}},
      {"perawat", {"records:read", "records:write"}},
      {"dokter", {"records:read", "records:write"}},
      {"integration", {"records:read", "records:write"}},
      {"programme", {"records:read"}},
      {"operator", {"admin:read", "admin:write"}},
  };
  return *m;
}

// Calls an admitted caller makes successfully on this node (no parent, no
// bundle desk, no exporter): reads of what exists. The other calls carry an
// empty or unknown request, so once admitted they fail on their input or on
// the node's setup, never on the caller.
const std::set<std::string>& SucceedsWhenAdmitted() {
  static const auto* s = new std::set<std::string>{
      "Records.GetPatient", "Records.FindPatients", "Records.ListPatientHistory",
      "Records.ListTasks",  "Records.WatchChanges", "Admin.GetStatus",
      "Admin.GetTree",      "Admin.ListConflicts",  "Admin.Verify",
      "Admin.ListQuarantine", "Admin.ListAudit",    "Admin.Backup",
      "Admin.SatusehatStatus",
  };
  return *s;
}

class AccessMatrixTest : public AccessTest {
 protected:
  using Call = std::function<grpc::Status(grpc::ClientContext*)>;

  // One call per RPC, on budi_ (inside every token's area here) where the RPC
  // names a patient.
  std::map<std::string, Call> Calls() {
    std::map<std::string, Call> c;
    auto* r = records_.get();
    auto* a = admin_.get();
    c["Records.CreatePatient"] = [r](auto* ctx) {
      v1::CreatePatientRequest q;  // no name: INVALID_ARGUMENT once admitted
      q.mutable_patient()->mutable_address()->set_village_code(kVillageA);
      v1::Patient p;
      return r->CreatePatient(ctx, q, &p);
    };
    c["Records.UpdatePatient"] = [r, this](auto* ctx) {
      v1::UpdatePatientRequest q;  // no fields and no mask
      q.mutable_patient()->set_id(budi_);
      v1::Patient p;
      return r->UpdatePatient(ctx, q, &p);
    };
    c["Records.GetPatient"] = [r, this](auto* ctx) {
      v1::GetPatientRequest q;
      q.set_id(budi_);
      v1::Patient p;
      return r->GetPatient(ctx, q, &p);
    };
    c["Records.FindPatients"] = [r](auto* ctx) {
      v1::FindPatientsRequest q;
      q.set_village_code(kVillageA);
      v1::FindPatientsResponse p;
      return r->FindPatients(ctx, q, &p);
    };
    c["Records.LinkPatients"] = [r](auto* ctx) {
      v1::Patient p;
      return r->LinkPatients(ctx, v1::LinkPatientsRequest(), &p);
    };
    c["Records.RecordEncounter"] = [r](auto* ctx) {
      v1::RecordEncounterResponse p;
      return r->RecordEncounter(ctx, v1::RecordEncounterRequest(), &p);
    };
    c["Records.MarkEnteredInError"] = [r](auto* ctx) {
      v1::MarkEnteredInErrorResponse p;
      return r->MarkEnteredInError(ctx, v1::MarkEnteredInErrorRequest(), &p);
    };
    c["Records.CreateReferral"] = [r](auto* ctx) {
      v1::Referral p;
      return r->CreateReferral(ctx, v1::CreateReferralRequest(), &p);
    };
    c["Records.GetReferral"] = [r](auto* ctx) {
      v1::Referral p;
      return r->GetReferral(ctx, v1::GetReferralRequest(), &p);
    };
    c["Records.TransitionReferral"] = [r](auto* ctx) {
      v1::Referral p;
      return r->TransitionReferral(ctx, v1::TransitionReferralRequest(), &p);
    };
    c["Records.RespondToReferral"] = [r](auto* ctx) {
      v1::RespondToReferralResponse p;
      return r->RespondToReferral(ctx, v1::RespondToReferralRequest(), &p);
    };
    c["Records.UpdateTask"] = [r](auto* ctx) {
      v1::Task p;
      return r->UpdateTask(ctx, v1::UpdateTaskRequest(), &p);
    };
    c["Records.ListPatientHistory"] = [r, this](auto* ctx) {
      v1::ListPatientHistoryRequest q;
      q.set_patient_id(budi_);
      v1::ListPatientHistoryResponse p;
      return r->ListPatientHistory(ctx, q, &p);
    };
    c["Records.ListTasks"] = [r](auto* ctx) {
      v1::ListTasksResponse p;
      return r->ListTasks(ctx, v1::ListTasksRequest(), &p);
    };
    c["Records.WatchChanges"] = [r](auto* ctx) {
      auto reader = r->WatchChanges(ctx, v1::WatchChangesRequest());  // ends when caught up
      v1::ChangeEvent e;
      while (reader->Read(&e)) {
      }
      return reader->Finish();
    };
    c["Admin.GetStatus"] = [a](auto* ctx) {
      v1::NodeStatus p;
      return a->GetStatus(ctx, v1::GetStatusRequest(), &p);
    };
    c["Admin.GetTree"] = [a](auto* ctx) {
      v1::GetTreeResponse p;
      return a->GetTree(ctx, v1::GetTreeRequest(), &p);
    };
    c["Admin.SyncNow"] = [a](auto* ctx) {
      v1::SyncNowResponse p;  // no parent: FAILED_PRECONDITION once admitted
      return a->SyncNow(ctx, v1::SyncNowRequest(), &p);
    };
    c["Admin.ListConflicts"] = [a](auto* ctx) {
      v1::ListConflictsResponse p;
      return a->ListConflicts(ctx, v1::ListConflictsRequest(), &p);
    };
    c["Admin.Verify"] = [a](auto* ctx) {
      v1::VerifyResponse p;
      return a->Verify(ctx, v1::VerifyRequest(), &p);
    };
    c["Admin.ListQuarantine"] = [a](auto* ctx) {
      v1::ListQuarantineResponse p;
      return a->ListQuarantine(ctx, v1::ListQuarantineRequest(), &p);
    };
    c["Admin.ListAudit"] = [a](auto* ctx) {
      v1::ListAuditResponse p;
      return a->ListAudit(ctx, v1::ListAuditRequest(), &p);
    };
    c["Admin.Backup"] = [a](auto* ctx) {
      auto reader = a->Backup(ctx, v1::BackupRequest());
      v1::BackupChunk chunk;
      while (reader->Read(&chunk)) {
      }
      return reader->Finish();
    };
    c["Admin.SatusehatStatus"] = [a](auto* ctx) {
      v1::SatusehatStatusResponse p;
      return a->SatusehatStatus(ctx, v1::SatusehatStatusRequest(), &p);
    };
    c["Admin.SatusehatRetry"] = [a](auto* ctx) {
      v1::SatusehatRetryResponse p;
      return a->SatusehatRetry(ctx, v1::SatusehatRetryRequest(), &p);
    };
    c["Admin.ExportBundle"] = [a](auto* ctx) {
      v1::ExportBundleRequest q;
      q.set_to("nobody");
      auto reader = a->ExportBundle(ctx, q);
      v1::BundleChunk chunk;
      while (reader->Read(&chunk)) {
      }
      return reader->Finish();
    };
    c["Admin.ImportBundle"] = [a](auto* ctx) {
      v1::ImportBundleResponse p;
      auto writer = a->ImportBundle(ctx, &p);
      v1::BundleChunk chunk;
      chunk.set_data("not a bundle");
      writer->Write(chunk);  // may fail once the server has answered; Finish says why
      writer->WritesDone();
      return writer->Finish();
    };
    c["Admin.ImportReceipt"] = [a](auto* ctx) {
      v1::ImportReceiptRequest q;
      q.set_receipt("not a receipt");
      v1::BundleReceipt p;
      return a->ImportReceipt(ctx, q, &p);
    };
    c["Admin.RevokeToken"] = [a](auto* ctx) {
      v1::RevokeTokenRequest q;  // no jti: INVALID_ARGUMENT once admitted
      v1::RevokeTokenResponse p;
      return a->RevokeToken(ctx, q, &p);
    };
    return c;
  }

  // Every RPC the two services define, as "Service.Method".
  static std::vector<std::string> ServedRpcs() {
    std::vector<std::string> out;
    for (const char* service : {"ilp.v1.Records", "ilp.v1.Admin"}) {
      const google::protobuf::ServiceDescriptor* d =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
      EXPECT_NE(d, nullptr) << service;
      if (d == nullptr) continue;
      for (int i = 0; i < d->method_count(); ++i) {
        out.push_back(absl::StrCat(d->name(), ".", d->method(i)->name()));
      }
    }
    return out;
  }

  // Asserts the cell (caller, rpc): admitted or refused for scope.
  void ExpectCell(const std::string& who, const std::string& token, const std::string& rpc,
                  bool allowed, const Call& call) {
    grpc::Status s = call(Ctx(token).get());
    const std::string cell = absl::StrCat(who, " x ", rpc, ": ", s.error_code(), " ", s.error_message());
    if (allowed) {
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << cell;
      EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("rule scope"))) << cell;
      if (SucceedsWhenAdmitted().count(rpc)) {
        EXPECT_TRUE(s.ok()) << cell;
      }
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << cell;
      const std::string method = rpc.substr(rpc.find('.') + 1);
      EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("rule scope: ", rpc, " needs ", ScopeOf().at(rpc))))
          << cell << " (" << method << ")";
    }
  }
};

TEST_F(AccessMatrixTest, TheTablesNameEveryRpcOfRecordsAndAdmin) {
  const std::map<std::string, Call> calls = Calls();
  for (const std::string& rpc : ServedRpcs()) {
    EXPECT_TRUE(ScopeOf().count(rpc)) << rpc << " has no scope in docs/security.md's table";
    EXPECT_TRUE(calls.count(rpc)) << rpc << " has no call in this test";
  }
  EXPECT_EQ(ServedRpcs().size(), ScopeOf().size()) << "the table names an RPC the services lack";
}

TEST_F(AccessMatrixTest, EveryRpcRefusesACallerWithoutTokenOrCertificate) {
  for (const auto& [rpc, call] : Calls()) {
    grpc::Status s = call(Ctx("").get());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("missing token")) << rpc;
    s = call(Ctx("v4.public.not-a-token").get());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc << ": " << s.error_message();
  }
}

TEST_F(AccessMatrixTest, EachRoleReachesExactlyTheRpcsOfItsDefaultScopes) {
  const std::map<std::string, Call> calls = Calls();
  for (const auto& [role, scopes] : DefaultScopesOf()) {
    const std::string token = Issue(absl::StrCat(role, "-1"), role, {"5371"}, {});
    for (const auto& [rpc, call] : calls) {
      ExpectCell(role, token, rpc, scopes.count(ScopeOf().at(rpc)) > 0, call);
    }
  }
}

TEST_F(AccessMatrixTest, AdminReadDoesNotReachAdminWrite) {
  const std::string dashboard =
      Issue("dash-kab", "programme", {"5371"}, {"records:read", "admin:read"});
  for (const auto& [rpc, call] : Calls()) {
    const std::string& scope = ScopeOf().at(rpc);
    ExpectCell("programme+admin:read", dashboard, rpc, scope == "records:read" || scope == "admin:read",
               call);
  }
}

}  // namespace
}  // namespace ilp
