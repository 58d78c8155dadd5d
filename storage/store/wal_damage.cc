#include "storage/store/wal_damage.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ilp::store_internal {
namespace {

// The newest write-ahead log in `dir` (RocksDB numbers them in order).
std::string NewestWal(const std::string& dir) {
  std::string newest;
  uint64_t newest_number = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t number = 0;
    if (e.path().extension() != ".log" || !absl::SimpleAtoi(e.path().stem().string(), &number)) continue;
    if (newest.empty() || number > newest_number) {
      newest = e.path().string();
      newest_number = number;
    }
  }
  return newest;
}

}  // namespace

std::vector<WalDrop> WalDrops(const std::string& dir) {
  std::ifstream log(dir + "/LOG");
  std::vector<WalDrop> drops;
  for (std::string line; std::getline(log, line);) {
    const size_t drop = line.find(": dropping ");
    if (drop == std::string::npos) continue;
    const size_t start = line.rfind(' ', drop);
    WalDrop d;
    d.file = line.substr(start == std::string::npos ? 0 : start + 1,
                         drop - (start == std::string::npos ? 0 : start + 1));
    const size_t n = drop + std::strlen(": dropping ");
    const size_t space = line.find(' ', n);
    if (space == std::string::npos || !absl::SimpleAtoi(line.substr(n, space - n), &d.bytes)) d.bytes = 0;
    const size_t why = line.find("; ", n);
    if (why != std::string::npos) d.reason = line.substr(why + 2);
    drops.push_back(std::move(d));
  }
  return drops;
}

std::string DamagedFiles(const std::vector<WalDrop>& drops) {
  std::set<std::string> files;
  for (const WalDrop& d : drops) files.insert(d.file);
  return absl::StrJoin(files, ", ");
}

// A write that a crash (SIGKILL, power cut) interrupts leaves the newest
// write-ahead log ending inside a record: RocksDB's replay reports one of
// these at the end of the file. No acknowledged write is in such a tail,
// since every acknowledged write was fsynced before the record being written
// began (docs/reliability.md, "A damaged write-ahead log").
bool IsTornTail(const std::vector<WalDrop>& drops, const std::string& dir) {
  if (drops.size() != 1 || drops[0].file != NewestWal(dir)) return false;
  for (const char* reason : {"truncated record body", "truncated header", "error reading trailing data"}) {
    if (drops[0].reason == absl::StrCat("Corruption: ", reason)) return true;
  }
  return false;
}

}  // namespace ilp::store_internal
