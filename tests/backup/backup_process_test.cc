// Backups with real processes: `ilpctl backup` of a running pustu, then
// writes everywhere, then the pustu's store is lost and restored from the
// backup with `ilp-node --restore`. The restored pustu catches up from its
// parent and its child, loses nothing written after the backup anywhere, and
// its own new writes reach both (the restore's new incarnation makes the
// peers resend instead of skipping).
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "tests/common/run_command.h"
#include "tests/replication/process_chain.h"

#ifndef ILP_BIN_DIR
#error "ILP_BIN_DIR must point at build/bin"
#endif

namespace ilp {
namespace {

using testing::CommandResult;
using testing::Ilpctl;
using testing::NodeSet;
using testing::RunCommand;
using testing::CreatePatientAt;
using testing::HasPatient;
using testing::WaitUntil;

constexpr char kMawar[] = "5371031001";



CommandResult Restore(NodeSet& n, const std::string& id, const std::string& backup) {
  return RunCommand({std::string(ILP_BIN_DIR) + "/ilp-node", "--config", n.Dir(id) + "/node.textproto",
                     "--restore", backup});
}

TEST(BackupProcessTest, ARestoredPustuCatchesUpAndLosesNothingWrittenAfterTheBackup) {
  const std::vector<std::string> all = {"pkm-oebobo", "pustu-oetete", "pos-mawar"};
  NodeSet n({{"pkm-oebobo", "PUSKESMAS", "537103", "", {{"pustu-oetete", kMawar}}, {}},
             {"pustu-oetete", "PUSTU", kMawar, "pkm-oebobo", {{"pos-mawar", kMawar}}, {}},
             {"pos-mawar", "POSYANDU", kMawar, "pustu-oetete", {}, {}}});
  ASSERT_TRUE(n.StartAll());
  const std::string before = CreatePatientAt(n.api("pustu-oetete"), "Before Backup", kMawar);
  for (const std::string& node : all) ASSERT_TRUE(WaitUntil([&] { return HasPatient(n.api(node), before); }, 30));

  const std::string backup = n.Dir("pustu-oetete") + "/../pustu-backup";
  CommandResult b = Ilpctl({"--node", n.addr("pustu-oetete"), "backup", "--out", backup});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("backup of pustu-oetete"), std::string::npos) << b.out;
  ASSERT_TRUE(std::filesystem::exists(backup + "/backup.textproto"));

  // After the backup, every tier writes, and everything reaches everyone.
  const std::vector<std::string> after = {CreatePatientAt(n.api("pos-mawar"), "Child After", kMawar),
                                          CreatePatientAt(n.api("pkm-oebobo"), "Parent After", kMawar),
                                          CreatePatientAt(n.api("pustu-oetete"), "Pustu After", kMawar)};
  for (const std::string& node : all) {
    for (const std::string& id : after) ASSERT_TRUE(WaitUntil([&] { return HasPatient(n.api(node), id); }, 30));
  }

  // The pustu's disk dies. Restoring over a store is refused; into an empty
  // data dir it works.
  ASSERT_EQ(n.Stop("pustu-oetete"), 0);
  CommandResult over = Restore(n, "pustu-oetete", backup);
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find("exists and is not empty"), std::string::npos) << over.err;
  std::filesystem::rename(n.DataDir("pustu-oetete"), n.DataDir("pustu-oetete") + ".dead");
  CommandResult r = Restore(n, "pustu-oetete", backup);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(n.Start("pustu-oetete"));

  for (const std::string& id : after) {
    EXPECT_TRUE(WaitUntil([&] { return HasPatient(n.api("pustu-oetete"), id); }, 30))
        << "the restored pustu never got back a write made after its backup";
  }
  const std::string restored = CreatePatientAt(n.api("pustu-oetete"), "After Restore", kMawar);
  for (const char* node : {"pkm-oebobo", "pos-mawar"}) {
    EXPECT_TRUE(WaitUntil([&] { return HasPatient(n.api(node), restored); }, 30))
        << node << " skipped the restored pustu's new write";
  }
}

TEST(BackupProcessTest, AnIncompleteOrDamagedBackupIsRefused) {
  NodeSet n({{"pustu-oetete", "PUSTU", kMawar, "", {}, {}}});
  ASSERT_TRUE(n.StartAll());
  CreatePatientAt(n.api("pustu-oetete"), "Someone", kMawar);
  const std::string backup = n.Dir("pustu-oetete") + "/../backup";
  CommandResult b = Ilpctl({"--node", n.addr("pustu-oetete"), "backup", "--out", backup});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  CommandResult again = Ilpctl({"--node", n.addr("pustu-oetete"), "backup", "--out", backup});
  EXPECT_EQ(again.exit_code, 1) << "a backup must not overwrite another";
  ASSERT_EQ(n.Stop("pustu-oetete"), 0);
  std::filesystem::rename(n.DataDir("pustu-oetete"), n.DataDir("pustu-oetete") + ".dead");

  // One flipped byte in a file of the backup.
  std::string victim;
  for (const auto& e : std::filesystem::directory_iterator(backup)) {
    if (e.path().extension() == ".sst") victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  std::string bytes = testing::ReadFile(victim);
  bytes[bytes.size() / 2] ^= 0x40;
  testing::WriteFile(victim, bytes);
  CommandResult damaged = Restore(n, "pustu-oetete", backup);
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("SHA-256 differs"), std::string::npos) << damaged.err;

  std::filesystem::remove(backup + "/backup.textproto");
  CommandResult cut = Restore(n, "pustu-oetete", backup);
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("the backup is incomplete"), std::string::npos) << cut.err;
  EXPECT_FALSE(std::filesystem::exists(n.DataDir("pustu-oetete"))) << "a refused restore writes no store";
}

}  // namespace
}  // namespace ilp
