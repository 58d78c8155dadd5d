#include "tests/sim/memory_link.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace ilp::sim {
namespace {

// The shared state of both ends. Every field is guarded by mu.
struct Pipe {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<v1::SyncMessage> to_parent, to_child;
  int budget = -1;  // messages still allowed; -1 = unlimited
  int moved = 0;
  bool cut = false, broken = false, writes_done = false, parent_done = false;
  absl::Status parent_status;
  std::vector<v1::Batch> up, down;

  bool Write(std::deque<v1::SyncMessage>* q, const v1::SyncMessage& m) {
    std::lock_guard<std::mutex> l(mu);
    if (broken) return false;
    if (budget == 0) {
      broken = cut = true;
      cv.notify_all();
      return false;
    }
    if (budget > 0) --budget;
    ++moved;
    q->push_back(m);
    cv.notify_all();
    return true;
  }
  // Messages written before a break are still delivered (see the header).
  bool Read(std::deque<v1::SyncMessage>* q, bool (Pipe::*ended)() const, v1::SyncMessage* m,
            std::vector<v1::Batch>* batches) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return !q->empty() || broken || (this->*ended)(); });
    if (q->empty()) return false;
    *m = std::move(q->front());
    q->pop_front();
    if (m->has_batch()) batches->push_back(m->batch());
    return true;
  }
  bool ChildWritesDone() const { return writes_done; }
  bool ParentDone() const { return parent_done; }
};

class ParentEnd : public SyncStream {
 public:
  explicit ParentEnd(Pipe* p) : p_(p) {}
  bool Read(v1::SyncMessage* m) override {
    return p_->Read(&p_->to_parent, &Pipe::ChildWritesDone, m, &p_->up);
  }
  bool Write(const v1::SyncMessage& m) override { return p_->Write(&p_->to_child, m); }

 private:
  Pipe* p_;
};

class ChildEnd : public ClientSyncStream {
 public:
  explicit ChildEnd(Pipe* p) : p_(p) {}
  bool Read(v1::SyncMessage* m) override {
    const bool ok = p_->Read(&p_->to_child, &Pipe::ParentDone, m, &p_->down);
    read_ended_ |= !ok;
    return ok;
  }
  bool Write(const v1::SyncMessage& m) override { return p_->Write(&p_->to_parent, m); }
  void WritesDone() override {
    std::lock_guard<std::mutex> l(p_->mu);
    p_->writes_done = writes_done_ = true;
    p_->cv.notify_all();
  }
  // As the gRPC stream: abandoning a running session cancels it; then waits
  // for the parent's status.
  absl::Status Finish() override {
    std::unique_lock<std::mutex> l(p_->mu);
    if (!writes_done_ && !read_ended_) p_->broken = true;
    p_->cv.notify_all();
    p_->cv.wait(l, [&] { return p_->parent_done; });
    if (p_->cut) return absl::UnavailableError("sim: link cut");
    return p_->parent_status;
  }

 private:
  Pipe* p_;
  bool writes_done_ = false, read_ended_ = false;
};

}  // namespace

SessionResult RunSession(SyncEngine* child, SyncEngine* parent, const std::string& child_id,
                         const LinkFaults& faults) {
  Pipe pipe;
  pipe.budget = faults.cut_after;
  SessionResult r;
  std::thread parent_thread([&] {
    ParentEnd end(&pipe);
    absl::Status s = parent->ServeChildSession(&end, SessionPeer{child_id, true});
    std::lock_guard<std::mutex> l(pipe.mu);
    r.parent = s;
    pipe.parent_status = s;
    pipe.parent_done = pipe.broken = true;
    pipe.cv.notify_all();
  });
  {
    ChildEnd end(&pipe);
    absl::StatusOr<SessionStats> s = child->RunChildSession(&end);
    r.child = s.status();
    // A child that returned without Finish must not leave the parent waiting.
    std::lock_guard<std::mutex> l(pipe.mu);
    pipe.broken = true;
    pipe.cv.notify_all();
  }
  parent_thread.join();
  r.cut = pipe.cut;
  r.messages = pipe.moved;
  r.up = std::move(pipe.up);
  r.down = std::move(pipe.down);
  return r;
}

}  // namespace ilp::sim
