// One sync session over an in-memory link, the child and parent ends each
// driving the real SyncEngine.
//
// Why two threads and still deterministic: SyncEngine's Read() blocks, so the
// two ends of a session need two stacks. The simulation runs one session at a
// time and nothing else meanwhile, the protocol moves in turns (each side
// reads before it writes again, except the parent's Ack followed by its first
// batch), and a message written before a cut is still delivered. So what each
// end reads, writes and stores depends only on the message order, never on
// thread timing; a seed's final digest checks this (SimTest.ASeedReplaysExactly).
//
//   LinkFaults f{.cut_after = 5};   // the 6th message of the session is lost
//   SessionResult r = RunSession(child_engine, parent_engine, "pos-1", f);
#ifndef ILP_TESTS_SIM_MEMORY_LINK_H_
#define ILP_TESTS_SIM_MEMORY_LINK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ilp/v1/sync.pb.h"
#include "services/replication/sync_engine.h"

namespace ilp::sim {

struct LinkFaults {
  // The link breaks when the session tries to move message number
  // `cut_after` (0-based, both directions counted together); -1 = never.
  int cut_after = -1;
};

struct SessionResult {
  absl::Status child;   // RunChildSession's result
  absl::Status parent;  // ServeChildSession's result
  bool cut = false;     // the link broke
  int messages = 0;     // messages delivered
  // Batches each end read (and so applied), in order: down = read by the child.
  std::vector<v1::Batch> up, down;
};

// Runs one session between `child_id` (through `child`) and its parent.
SessionResult RunSession(SyncEngine* child, SyncEngine* parent, const std::string& child_id,
                         const LinkFaults& faults);

}  // namespace ilp::sim

#endif  // ILP_TESTS_SIM_MEMORY_LINK_H_
