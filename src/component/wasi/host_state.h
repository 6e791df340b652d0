// The state behind WasiHost: the guest's config and its host resources,
// each known to the guest by a rep. Internal to src/component/wasi.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <poll.h>

#include "component/wasi/host_interface.h"
#include "wasmlet/component/value.h"
#include "wasmlet/component/wasi_host.h"
#include "wasi_sys/dir_quota.h"
#include "wasi_sys/dir_reader.h"
#include "wasi_sys/host_room.h"
#include "wasi_sys/inherited_output.h"
#include "wasi_sys/interruptible_wait.h"
#include "wasi_sys/unique_fd.h"
#include "wasmlet/error.h"

namespace wasmlet {
class Store;
}

namespace wasmlet::component::wasi {

// Resources own their host fds through the fd owner both WASI front ends
// share (src/wasi_sys), held by shared_ptr: a stream and its socket share one.
using wasi_sys::UniqueFd;

struct InputStream {
  enum class Kind { Empty, File, Socket } kind = Kind::Empty;
  std::shared_ptr<UniqueFd> fd;  // File: read with pread at offset; Socket: recv
  uint64_t offset = 0;
  bool closed = false;
};

struct OutputStream {
  enum class Kind { Stdout, Stderr, File, Socket } kind = Kind::Stdout;
  std::shared_ptr<UniqueFd> fd;
  uint64_t offset = 0;
  bool append = false;
  std::shared_ptr<wasi_sys::DirQuota> quota = nullptr;  // File: its preopen's size limit, if any
  std::string guest_path = "";  // File: for messages
};

struct Pollable {
  std::optional<std::chrono::steady_clock::time_point> deadline;  // none (and no fd): always ready
  std::shared_ptr<UniqueFd> fd;  // ready when poll() reports `events` on it
  short events = 0;
};

struct ErrorResource {
  std::string message;
  int host_errno = 0;  // what filesystem-error-code reports, when not 0
};

struct Descriptor {
  std::shared_ptr<UniqueFd> fd;
  bool directory = false;
  bool read_only = false;   // from a read-only preopen: no writes at all
  bool readable = true, writable = false;
  std::string guest_path;   // for messages
  std::shared_ptr<wasi_sys::DirQuota> quota = nullptr;  // beneath a preopen with a size limit
};

struct DirectoryEntry {
  std::string name;
  uint32_t type;  // descriptor-type case
  auto operator<=>(const DirectoryEntry&) const = default;  // by name (then type)
};

// A directory read a batch at a time (wasi_sys::DirStream): only the
// entries of the current batch are kept, whatever the directory's size. The
// stream reads its own open directory (one host fd, counted as the guest's),
// since a position is only good for the open directory that gave it.
struct DirectoryEntryStream {
  std::shared_ptr<UniqueFd> dir;  // the stream's own open of the descriptor's directory
  std::unique_ptr<wasi_sys::DirStream> reader = std::make_unique<wasi_sys::DirStream>();
  uint64_t position = 0;          // where the next batch starts
  bool at_end = false;            // the directory has no entries past `batch`
  std::vector<DirectoryEntry> batch;
  size_t next = 0;
  uint64_t bytes = 0;  // host memory of `batch` (wasi_sys::listing_entry_bytes), counted in HostState::listing_bytes
};

struct Terminal {};

struct Network {};

struct TcpSocket {
  enum class State { Unbound, BindStarted, Bound, ListenStarted, Listening, ConnectStarted, Connected, Closed };
  std::shared_ptr<UniqueFd> fd;
  int family = 0;  // AF_INET or AF_INET6
  State state = State::Unbound;
  uint64_t backlog = 128;
};

struct UdpSocket {
  enum class State { Unbound, BindStarted, Bound };
  std::shared_ptr<UniqueFd> fd;
  int family = 0;
  State state = State::Unbound;
  bool connected = false;  // stream() was given a remote address
};

struct DatagramStream {  // incoming-datagram-stream and outgoing-datagram-stream
  std::shared_ptr<UniqueFd> fd;
  int family = 0;
  bool connected = false;  // outgoing: send() to the stream's remote address
  bool outgoing = false;
};

struct ResolveAddressStream {
  std::vector<Val> addresses;  // ip-address values
  size_t next = 0;
};

using Resource = std::variant<InputStream, OutputStream, Pollable, ErrorResource, Descriptor, DirectoryEntryStream, Terminal,
                              Network, TcpSocket, UdpSocket, DatagramStream, ResolveAddressStream>;

// A guest-caused error that the host call reports as a trap (bad rep).
class HostTrap : public Error {
 public:
  using Error::Error;
};

// Thrown by a blocking host call when the Store was interrupted or its call
// deadline passed; the host call layer turns it into a trap.
struct Interrupted {};

// Thrown by wasi:cli/exit; the host call layer ends the run with the code
// (Caller::exit), so run_component reports Exited(code).
struct ExitRequest {
  int code;
};

// The most bytes one call hands the guest as a list<u8> (a read, random
// bytes): what one call holds of the host's memory stays small whatever
// length the guest asks for (a read answers with fewer, random bytes trap).
constexpr uint64_t kMaxBytesPerCall = 1 << 20;

struct HostState {
  Store* store = nullptr;  // set by WasiHost::attach_store: waits end on interrupt/deadline
  WasiConfig config;
  WasiHostOptions options;
  std::set<std::string> resolved_addresses;  // what lookups of options.allowed_hosts returned (inet_ntop text)
  std::unordered_map<uint32_t, Resource> resources;
  uint32_t next_rep = 1;
  std::vector<std::pair<uint32_t, std::string>> preopens;  // descriptor rep, guest path (created lazily)
  bool preopens_created = false;
  std::shared_ptr<UniqueFd> stdin_fd;

  // The most resources a guest holds at once: each costs host memory, which
  // the guest's memory limit does not see. One more traps, as a full
  // resource table does in wasmtime. Host fds have their own, lower bound
  // (kMaxFds): many resources share one fd (a file's streams, pollables,
  // every get-directories handle of a preopen), so fds are counted where
  // they are opened, not per resource.
  static constexpr size_t kMaxResources = 16384;
  // The most host fds (files, directories, sockets) a guest holds open at
  // once: preview1's bound, so that one workload cannot take the fds every
  // other workload in the process needs; within it, the fds the process
  // has for guests are shared as preview1's are (wasi_sys::GuestFdShare).
  // Past either an open is refused with an error-code (insufficient-memory
  // for open-at, as when the host itself is nearly out of fds;
  // new-socket-limit for sockets), never a trap.
  static constexpr size_t kMaxFds = wasi_sys::kMaxGuestFds;
  // The host fds the guest's resources hold (shared with the deleters of
  // the fds handed out by own_fd, which may outlive a resource).
  std::shared_ptr<wasi_sys::GuestFdShare> fds = std::make_shared<wasi_sys::GuestFdShare>();
  // The fd the guest is about to open, counted in `fds` now (false when it
  // holds its most: the open is refused); given back unless own_fd keeps it.
  wasi_sys::FdSlot fd_slot() { return wasi_sys::FdSlot(*fds); }
  // The owner of a host fd the guest just opened, counted in `fds` until
  // its last holder closes it: by `slot` (taken before the open), or, for
  // what the host opens for the guest (preopens), now.
  std::shared_ptr<UniqueFd> own_fd(int fd, wasi_sys::FdSlot& slot) {
    slot.keep();
    return owner(fd);
  }
  std::shared_ptr<UniqueFd> own_fd(int fd) {
    fds->take();
    return owner(fd);
  }
  std::shared_ptr<UniqueFd> owner(int fd) {
    return std::shared_ptr<UniqueFd>(new UniqueFd(fd), [share = fds](UniqueFd* owned) {
      delete owned;
      share->give_back();
    });
  }
  uint32_t add(Resource r) {
    if (resources.size() >= kMaxResources)
      throw HostTrap("the guest holds " + std::to_string(kMaxResources) +
                     " resources (files, sockets, streams, pollables), the most one instance may; it must drop some first");
    uint32_t rep = next_rep++;
    resources.emplace(rep, std::move(r));
    return rep;
  }
  // The host memory of the live directory-entry-streams' listings, at most
  // wasi_sys::kMaxListingBytes.
  uint64_t listing_bytes = 0;
  template <typename T>
  T& get(const Val& v, const char* what) {
    auto it = resources.find(v.handle);
    if (it == resources.end() || !std::holds_alternative<T>(it->second))
      throw HostTrap(std::string("no such ") + what + " (rep " + std::to_string(v.handle) + ")");
    return std::get<T>(it->second);
  }
  // Guest stdout/stderr: to config.output, else to the host's own fds
  // (host_output.cpp). Returns 0, or the errno of a failed host write.
  int write_output(OutputStream::Kind kind, std::span<const uint8_t> bytes);
  // What the host's own stdout and stderr are, read at their first write.
  std::optional<wasi_sys::InheritedOutput> inherited_kind[2];
  // Whether this process ignored SIGPIPE at the first write to a pipe.
  std::optional<bool> sigpipe_ignored;
};

// Registration of each interface's functions (host_interface.h), in an
// order where an interface's `use`d types are declared before it: io,
// clocks, cli, random, filesystem, sockets.
void add_cli(HostState& s, Interfaces& into);
void add_io(HostState& s, Interfaces& into);
void add_clocks(HostState& s, Interfaces& into);
void add_random(HostState& s, Interfaces& into);
void add_filesystem(HostState& s, Interfaces& into);
void add_sockets(HostState& s, Interfaces& into);

// Pollable readiness, shared by wasi:io/poll and the streams.
bool pollable_ready(const Pollable& p);
void pollable_block(HostState& s, const Pollable& p);
// poll(2) on fds until one is ready (returns > 0) or `until` passes (0), also
// waking on the Store's interrupt fd and call deadline (throws Interrupted):
// the shared wait of src/wasi_sys/interruptible_wait.h.
int wait_poll(HostState& s, std::vector<pollfd> fds, wasi_sys::Deadline until);

// stream-error: variant { last-operation-failed(own<error>), closed }
Val stream_error_closed();
Val stream_error_failed(HostState& s, const std::string& message, int host_errno = 0);

}  // namespace wasmlet::component::wasi
