// backup: a consistent online backup of a node's store, streamed over
// ilp.v1.Admin into a local directory (services/backup/backup.h).
#include <cstdio>
#include <iostream>
#include <memory>

#include "ilp/v1/admin.grpc.pb.h"
#include "services/backup/backup.h"
#include "services/ctl/commands.h"

namespace ilp::ctl {
namespace {

struct Args {
  std::string out;
  int deadline_s = 3600;
};

int Backup(const Ctl& c, const Args& a) {
  BackupWriter w(a.out);
  if (absl::Status s = w.Start(); !s.ok()) {
    std::fprintf(stderr, "ilpctl: %s\n", std::string(s.message()).c_str());
    return kError;
  }
  std::unique_ptr<grpc::ClientContext> ctx = c.Ctx(a.deadline_s);
  auto reader = v1::Admin::NewStub(c.channel)->Backup(ctx.get(), v1::BackupRequest());
  v1::BackupChunk chunk;
  absl::Status st;
  while (st.ok() && reader->Read(&chunk)) st = w.Add(chunk);
  if (!st.ok()) ctx->TryCancel();
  grpc::Status gs = reader->Finish();
  if (st.ok() && !gs.ok()) return Fail(gs);
  absl::StatusOr<v1::BackupManifest> m = st.ok() ? w.Finish() : st;
  if (!m.ok()) {
    std::fprintf(stderr, "ilpctl: backup into %s failed: %s\n", a.out.c_str(), std::string(m.status().message()).c_str());
    return kError;
  }
  uint64_t bytes = 0;
  for (const auto& f : m->files()) bytes += f.size();
  if (c.json) {
    std::cout << Json(*m) << "\n";
  } else {
    std::printf("backup of %s (incarnation %s, change-log head %llu): %d files, %s in %s\n",
                m->node_id().c_str(), m->incarnation().c_str(), static_cast<unsigned long long>(m->head()),
                m->files_size(), Bytes(bytes).c_str(), a.out.c_str());
  }
  return kOk;
}

}  // namespace

void AddBackupCommands(CLI::App* app, Runner* run) {
  auto a = std::make_shared<Args>();
  auto* b = app->add_subcommand("backup", "take a consistent online backup of the node's store into --out");
  b->add_option("--out", a->out, "a new or empty directory")->required();
  b->add_option("--deadline", a->deadline_s, "seconds the whole backup may take")->capture_default_str();
  b->callback([a, run] { *run = [a](const Ctl& c) { return Backup(c, *a); }; });
}

}  // namespace ilp::ctl
