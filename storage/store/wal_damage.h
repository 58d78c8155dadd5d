// What a write-ahead log that RocksDB did not replay to its end says about
// itself, from RocksDB's info log: which file, how many bytes, and why, so
// Store::Open can name the damage and tell a crash's torn tail from the rest.
#ifndef ILP_STORAGE_STORE_WAL_DAMAGE_H_
#define ILP_STORAGE_STORE_WAL_DAMAGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ilp::store_internal {

// One drop RocksDB logged while replaying the write-ahead logs:
// "<path>: dropping N bytes; Corruption: <why>".
struct WalDrop {
  std::string file;
  uint64_t bytes = 0;
  std::string reason;  // "Corruption: truncated record body"
};

// The drops in `dir`/LOG (the info log of the last open attempt).
std::vector<WalDrop> WalDrops(const std::string& dir);

// The files the drops name, joined by ", "; "" if none.
std::string DamagedFiles(const std::vector<WalDrop>& drops);

// True if the only drop is the newest WAL ending inside a record: what a
// crash during a write leaves (docs/reliability.md, "A damaged write-ahead log").
bool IsTornTail(const std::vector<WalDrop>& drops, const std::string& dir);

}  // namespace ilp::store_internal

#endif  // ILP_STORAGE_STORE_WAL_DAMAGE_H_
