#include "errno_map.h"

#include <cerrno>

namespace wasmlet::wasi {

Errno errno_from_host(int e) {
  switch (e) {
    case 0: return err::success;
    case E2BIG: return err::toobig;
    case EACCES: return err::acces;
    case EADDRINUSE: return err::addrinuse;
    case EADDRNOTAVAIL: return err::addrnotavail;
    case EAFNOSUPPORT: return err::afnosupport;
    case EAGAIN: return err::again;
    case EALREADY: return err::already;
    case EBADF: return err::badf;
    case EBADMSG: return err::badmsg;
    case EBUSY: return err::busy;
    case ECANCELED: return err::canceled;
    case ECHILD: return err::child;
    case ECONNABORTED: return err::connaborted;
    case ECONNREFUSED: return err::connrefused;
    case ECONNRESET: return err::connreset;
    case EDEADLK: return err::deadlk;
    case EDESTADDRREQ: return err::destaddrreq;
    case EDOM: return err::dom;
    case EDQUOT: return err::dquot;
    case EEXIST: return err::exist;
    case EFAULT: return err::fault;
    case EFBIG: return err::fbig;
    case EHOSTUNREACH: return err::hostunreach;
    case EIDRM: return err::idrm;
    case EILSEQ: return err::ilseq;
    case EINPROGRESS: return err::inprogress;
    case EINTR: return err::intr;
    case EINVAL: return err::inval;
    case EIO: return err::io;
    case EISCONN: return err::isconn;
    case EISDIR: return err::isdir;
    case ELOOP: return err::loop;
    case EMFILE: return err::mfile;
    case EMLINK: return err::mlink;
    case EMSGSIZE: return err::msgsize;
    case EMULTIHOP: return err::multihop;
    case ENAMETOOLONG: return err::nametoolong;
    case ENETDOWN: return err::netdown;
    case ENETRESET: return err::netreset;
    case ENETUNREACH: return err::netunreach;
    case ENFILE: return err::nfile;
    case ENOBUFS: return err::nobufs;
    case ENODEV: return err::nodev;
    case ENOENT: return err::noent;
    case ENOEXEC: return err::noexec;
    case ENOLCK: return err::nolck;
    case ENOLINK: return err::nolink;
    case ENOMEM: return err::nomem;
    case ENOMSG: return err::nomsg;
    case ENOPROTOOPT: return err::noprotoopt;
    case ENOSPC: return err::nospc;
    case ENOSYS: return err::nosys;
    case ENOTCONN: return err::notconn;
    case ENOTDIR: return err::notdir;
    case ENOTEMPTY: return err::notempty;
    case ENOTRECOVERABLE: return err::notrecoverable;
    case ENOTSOCK: return err::notsock;
    case EOPNOTSUPP: return err::notsup;  // == ENOTSUP on Linux
    case ENOTTY: return err::notty;
    case ENXIO: return err::nxio;
    case EOVERFLOW: return err::overflow;
    case EOWNERDEAD: return err::ownerdead;
    case EPERM: return err::perm;
    case EPIPE: return err::pipe;
    case EPROTO: return err::proto;
    case EPROTONOSUPPORT: return err::protonosupport;
    case EPROTOTYPE: return err::prototype;
    case ERANGE: return err::range;
    case EROFS: return err::rofs;
    case ESPIPE: return err::spipe;
    case ESRCH: return err::srch;
    case ESTALE: return err::stale;
    case ETIMEDOUT: return err::timedout;
    case ETXTBSY: return err::txtbsy;
    case EXDEV: return err::xdev;
    default: return err::io;
  }
}

Errno last_host_errno() { return errno_from_host(errno); }

}  // namespace wasmlet::wasi
