// The byte pipe a sync session runs over. gRPC streams implement it in
// production (grpc_transport.h); tests plug in an in-memory network with
// faults (tests/replication/memory_network.h).
#ifndef ILP_SERVICES_REPLICATION_STREAM_H_
#define ILP_SERVICES_REPLICATION_STREAM_H_

#include <memory>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "ilp/v1/sync.pb.h"

namespace ilp {

class SyncStream {
 public:
  virtual ~SyncStream() = default;
  // Blocks for the next message; false when the stream ended or broke.
  virtual bool Read(v1::SyncMessage* msg) = 0;
  // False when the stream broke.
  virtual bool Write(const v1::SyncMessage& msg) = 0;
};

// The child's end: it can also half-close and learn how the session ended.
class ClientSyncStream : public SyncStream {
 public:
  virtual void WritesDone() = 0;
  // The session's final status (after WritesDone or a failed Read/Write).
  ABSL_MUST_USE_RESULT virtual absl::Status Finish() = 0;
};

// Opens sessions to the parent.
class SyncDialer {
 public:
  virtual ~SyncDialer() = default;
  virtual std::unique_ptr<ClientSyncStream> Open() = 0;
};

}  // namespace ilp

#endif  // ILP_SERVICES_REPLICATION_STREAM_H_
