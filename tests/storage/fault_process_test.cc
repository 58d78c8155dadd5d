// A real ilp-node against real faults. On a small filesystem (a tmpfs
// mounted for the test) that fills up: writes are refused with
// RESOURCE_EXHAUSTED naming the data dir, reads and status go on, the node
// does not crash, writes resume once space is freed, and every acknowledged
// write is there after a restart. With a damaged WAL: it refuses to start.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "ilp/v1/records_service.grpc.pb.h"
#include "tests/common/node_process.h"
#include "tests/common/run_command.h"
#include "tests/common/temp_dir.h"
#include "tests/replication/process_chain.h"

namespace ilp {
namespace {

constexpr uint64_t kMiB = 1 << 20;

uint64_t FreeBytes(const std::string& dir) {
  struct statvfs v;
  if (statvfs(dir.c_str(), &v) != 0) return 0;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

grpc::Status Create(v1::Records::Stub* api, int i, std::string* id) {
  v1::CreatePatientRequest req;
  req.mutable_patient()->set_name(absl::StrCat("Penuh ", i));
  req.mutable_patient()->mutable_address()->set_village_code("5371031001");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::Patient p;
  grpc::Status s = api->CreatePatient(&ctx, req, &p);
  *id = p.id();
  return s;
}

bool Has(v1::Records::Stub* api, const std::string& id) {
  v1::GetPatientRequest req;
  req.set_id(id);
  v1::Patient p;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return api->GetPatient(&ctx, req, &p).ok();
}

// A tmpfs of `mib` MiB at `dir`, unmounted on destruction. Mounting needs root.
class SmallFs {
 public:
  SmallFs(const std::string& dir, int mib) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, absl::StrCat("size=", mib, "m").c_str()) == 0;
  }
  ~SmallFs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Takes space on `fs_dir` so that `leave` bytes stay free (something else
// filling the disk). Returns the filler's path, or "" on failure.
std::string FillLeaving(const std::string& fs_dir, uint64_t leave) {
  const std::string ballast = fs_dir + "/ballast";
  const uint64_t free = FreeBytes(fs_dir);
  if (free <= leave) return "";
  const int fd = open(ballast.c_str(), O_CREAT | O_WRONLY, 0644);
  if (fd < 0) return "";
  const bool ok = posix_fallocate(fd, 0, static_cast<off_t>(free - leave)) == 0;
  close(fd);
  return ok ? ballast : "";
}

TEST(DiskFullProcessTest, AFullDiskRefusesWritesKeepsServingAndResumesWithoutLosingAnything) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root (CI runs as root; see .ci/run)";
  }
  testing::TempDir dir;
  const std::string fs_dir = dir.Sub("small");
  SmallFs small(fs_dir, 48);
  ASSERT_TRUE(small.mounted()) << "mount -t tmpfs failed: " << std::strerror(errno);
  const std::string data = fs_dir + "/data";
  {
    testing::NodeProcess node(dir.path(), absl::StrCat(
        "node_id: \"pos-penuh\" tier: POSYANDU working_area: \"5371031001\"\n"
        "listen_address: \"127.0.0.1:0\" data_dir: \"", data, "\"\n"
        "min_free_disk_mb: 8 store_memory_mib: 8\n"));
    ASSERT_TRUE(node.Start());
    auto api = testing::RecordsStub(node.address());
    std::vector<std::string> acked;
    std::string id;
    ASSERT_TRUE(Create(api.get(), 0, &id).ok());
    acked.push_back(id);

    // Something else fills the disk to 1 MiB above the reserve.
    const std::string ballast = FillLeaving(fs_dir, 9 * kMiB);
    ASSERT_FALSE(ballast.empty());

    grpc::Status refused;
    for (int i = 1; i < 20000 && refused.ok(); ++i) {
      refused = Create(api.get(), i, &id);
      if (refused.ok()) acked.push_back(id);
    }
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
    EXPECT_NE(refused.error_message().find(data), std::string::npos) << refused.error_message();
    EXPECT_NE(refused.error_message().find("MiB free"), std::string::npos) << refused.error_message();
    EXPECT_GE(FreeBytes(fs_dir), 4 * kMiB) << "the store wrote into the reserve";
    std::printf("refused after %zu acknowledged writes with %llu KiB free\n", acked.size(),
                static_cast<unsigned long long>(FreeBytes(fs_dir) >> 10));

    // Reads and status go on; status says why, with exit 4.
    EXPECT_TRUE(Has(api.get(), acked.front()));
    EXPECT_TRUE(Has(api.get(), acked.back()));
    testing::CommandResult st = testing::Ilpctl({"--node", node.address(), "status"});
    EXPECT_EQ(st.exit_code, 4) << st.out << st.err;
    EXPECT_NE(st.out.find("DISK FULL"), std::string::npos) << st.out;

    // Space freed: writes resume, no restart.
    std::filesystem::remove(ballast);
    ASSERT_TRUE(Create(api.get(), 30000, &id).ok());
    acked.push_back(id);
    st = testing::Ilpctl({"--node", node.address(), "status"});
    EXPECT_EQ(st.exit_code, 0) << st.out << st.err;

    ASSERT_EQ(node.Stop(), 0) << "the node did not exit cleanly";
    ASSERT_TRUE(node.Start());
    api = testing::RecordsStub(node.address());
    size_t missing = 0;
    for (const auto& a : acked) missing += Has(api.get(), a) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged writes";
    testing::CommandResult v = testing::Ilpctl({"--node", node.address(), "verify", "--deep"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    ASSERT_EQ(node.Stop(), 0);
  }
}

// A pustu whose disk is full still sends its posyandu what it has, takes
// nothing up (the posyandu keeps it and its cursor), and takes it once space
// is freed.
TEST(DiskFullProcessTest, AParentWithAFullDiskSendsDownTakesNothingUpAndCatchesUpLater) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root (CI runs as root; see .ci/run)";
  }
  testing::TempDir dir;
  const std::string fs_dir = dir.Sub("small");
  SmallFs small(fs_dir, 48);
  ASSERT_TRUE(small.mounted()) << "mount -t tmpfs failed: " << std::strerror(errno);
  const char kMawar[] = "5371031001";
  std::filesystem::create_directories(dir.Sub("pustu"));
  std::filesystem::create_directories(dir.Sub("pos"));
  testing::NodeProcess pustu(dir.Sub("pustu"), testing::NodeConfigText(
      "pustu-oetete", "PUSTU", kMawar, fs_dir + "/data", "127.0.0.1:0", "", "",
      {{"pos-mawar", kMawar}}) + "min_free_disk_mb: 8 store_memory_mib: 8\n");
  ASSERT_TRUE(pustu.Start());
  auto pustu_api = testing::RecordsStub(pustu.address());
  std::string down_id, up_id;
  ASSERT_TRUE(Create(pustu_api.get(), 1, &down_id).ok());
  // Below the reserve (8 MiB), above half of it (cursors may still move).
  const std::string ballast = FillLeaving(fs_dir, 6 * kMiB);
  ASSERT_FALSE(ballast.empty());
  // Free space is read at most every 200 ms: a write or two may still pass.
  ASSERT_TRUE(testing::WaitUntil([&] {
    std::string ignored;
    return Create(pustu_api.get(), 2, &ignored).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
  }, 10));

  testing::NodeProcess pos(dir.Sub("pos"), testing::NodeConfigText(
      "pos-mawar", "POSYANDU", kMawar, dir.Sub("pos/data"), "127.0.0.1:0", "pustu-oetete",
      pustu.address(), {}));
  ASSERT_TRUE(pos.Start());
  auto pos_api = testing::RecordsStub(pos.address());
  ASSERT_TRUE(Create(pos_api.get(), 3, &up_id).ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return Has(pos_api.get(), down_id); }, 30))
      << "a full parent must still send down what it has";
  testing::CommandResult now = testing::Ilpctl({"--node", pos.address(), "sync", "now", "--wait"});
  EXPECT_EQ(now.exit_code, 4) << now.out << now.err;
  EXPECT_NE((now.out + now.err).find("below the reserve"), std::string::npos) << now.out << now.err;
  EXPECT_FALSE(Has(pustu_api.get(), up_id));

  std::filesystem::remove(ballast);
  EXPECT_TRUE(testing::WaitUntil([&] { return Has(pustu_api.get(), up_id); }, 30))
      << "the posyandu's write must reach the pustu once it has room";
}

// 300 acknowledged creates at a posyandu, killed; then its newest WAL.
struct KilledNode {
  testing::TempDir dir;
  std::string data = dir.Sub("data");
  testing::NodeProcess node{dir.path(), absl::StrCat(
      "node_id: \"pos-rusak\" tier: POSYANDU working_area: \"5371031001\"\n"
      "listen_address: \"127.0.0.1:0\" data_dir: \"", data, "\"\n")};
  std::vector<std::string> ids;

  std::string WriteAndKill() {
    if (!node.Start()) return "";
    auto api = testing::RecordsStub(node.address());
    for (int i = 0; i < 300; ++i) {
      std::string id;
      if (!Create(api.get(), i, &id).ok()) return "";
      ids.push_back(id);
    }
    node.Kill();  // acknowledged writes are in the WAL only
    std::string wal;
    for (const auto& e : std::filesystem::directory_iterator(data)) {
      if (e.path().extension() == ".log" && e.path().string() > wal) wal = e.path().string();
    }
    return wal;
  }
  std::string Log() const { return testing::ReadFile(dir.path() + "/node.log"); }
};

// What a crash during a write leaves: the node starts without the torn
// (never acknowledged) record and says so.
TEST(DamagedWalProcessTest, ANodeWhoseWalEndsInATornRecordStartsAndSaysSo) {
  KilledNode k;
  const std::string wal = k.WriteAndKill();
  ASSERT_FALSE(wal.empty()) << k.Log();
  std::filesystem::resize_file(wal, std::filesystem::file_size(wal) - 20);
  ASSERT_TRUE(k.node.Start()) << k.Log();
  const std::string log = k.Log();
  EXPECT_NE(log.find("ended inside a record"), std::string::npos) << log;
  EXPECT_NE(log.find(wal), std::string::npos) << log;
  // The cut took the last record written: at most the last create (a later
  // housekeeping write may be the one torn instead).
  auto api = testing::RecordsStub(k.node.address());
  for (size_t i = 0; i + 1 < k.ids.size(); ++i) EXPECT_TRUE(Has(api.get(), k.ids[i])) << i;
}

TEST(DamagedWalProcessTest, ANodeWhoseWalHasFlippedBytesRefusesToStartNamingTheFile) {
  KilledNode k;
  const std::string wal = k.WriteAndKill();
  ASSERT_FALSE(wal.empty()) << k.Log();
  {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(std::filesystem::file_size(wal) / 2);
    char buf[16];
    f.seekg(at);
    f.read(buf, sizeof buf);
    for (char& c : buf) c = static_cast<char>(~c);
    f.seekp(at);
    f.write(buf, sizeof buf);
  }
  EXPECT_FALSE(k.node.Start()) << "a node whose WAL is damaged mid-file started";
  const std::string log = k.Log();
  EXPECT_NE(log.find("the store is damaged and was not opened"), std::string::npos) << log;
  EXPECT_NE(log.find(wal), std::string::npos) << log;
}

}  // namespace
}  // namespace ilp
