// The WASI 0.2 functions the glue calls, declared as the core functions a
// canonical-ABI `canon lower` gives a module (CanonicalABI.md, "flattening"):
// at most 16 flat parameters are passed as such, and a result that flattens
// to more than one value is written to a return area whose address is the
// last parameter. The structs below are those return areas' layouts.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define WASI_P2(interface, function) \
  __attribute__((import_module(interface "@0.2.12"), import_name(function)))

// result<_, network.error-code>: the enum is one byte, right after the tag.
typedef struct {
  uint8_t is_err;
  uint8_t error;
} p2_unit_result;

// result<own<T>, network.error-code>: the payload is 4-aligned.
typedef struct {
  uint8_t is_err;
  union {
    int32_t handle;
    uint8_t error;
  } u;
} p2_handle_result;

// result<tuple<own<tcp-socket>, own<input-stream>, own<output-stream>>, error-code>
typedef struct {
  uint8_t is_err;
  union {
    struct {
      int32_t socket, input, output;
    } ok;
    uint8_t error;
  } u;
} p2_accept_result;

// streams.stream-error: variant { last-operation-failed(own<error>), closed }
typedef struct {
  uint8_t tag;  // 0 = last-operation-failed, 1 = closed
  int32_t error;
} p2_stream_error;

// result<list<u8>, stream-error>
typedef struct {
  uint8_t is_err;
  union {
    struct {
      uint8_t* ptr;
      size_t len;
    } ok;
    p2_stream_error err;
  } u;
} p2_read_result;

// result<_, stream-error>
typedef struct {
  uint8_t is_err;
  p2_stream_error err;
} p2_write_result;

enum { P2_ERROR_WOULD_BLOCK = 8 };  // network.error-code would-block
enum { P2_IPV4 = 0 };               // network.ip-address-family / ip-socket-address case

// wasi:cli/exit
WASI_P2("wasi:cli/exit", "exit-with-code") _Noreturn void p2_exit_with_code(int32_t status_code);

// wasi:io
WASI_P2("wasi:io/error", "[resource-drop]error") void p2_drop_error(int32_t error);
WASI_P2("wasi:io/poll", "[method]pollable.block") void p2_pollable_block(int32_t pollable);
WASI_P2("wasi:io/poll", "[resource-drop]pollable") void p2_drop_pollable(int32_t pollable);
WASI_P2("wasi:io/streams", "[method]input-stream.blocking-read")
void p2_blocking_read(int32_t stream, int64_t len, p2_read_result* ret);
WASI_P2("wasi:io/streams", "[method]output-stream.blocking-write-and-flush")
void p2_blocking_write_and_flush(int32_t stream, const uint8_t* bytes, size_t len, p2_write_result* ret);
WASI_P2("wasi:io/streams", "[resource-drop]input-stream") void p2_drop_input_stream(int32_t stream);
WASI_P2("wasi:io/streams", "[resource-drop]output-stream") void p2_drop_output_stream(int32_t stream);

// wasi:sockets
WASI_P2("wasi:sockets/instance-network", "instance-network") int32_t p2_instance_network(void);
WASI_P2("wasi:sockets/network", "[resource-drop]network") void p2_drop_network(int32_t network);
WASI_P2("wasi:sockets/tcp-create-socket", "create-tcp-socket")
void p2_create_tcp_socket(int32_t address_family, p2_handle_result* ret);
// local-address is an ip-socket-address variant: its tag, then 11 payload
// slots (the ipv6 case's record flattens to 11; ipv4 uses the first 5:
// port and the address's four octets).
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.start-bind")
void p2_tcp_start_bind(int32_t socket, int32_t network, int32_t address_tag, int32_t port, int32_t a0, int32_t a1,
                       int32_t a2, int32_t a3, int32_t unused0, int32_t unused1, int32_t unused2, int32_t unused3,
                       int32_t unused4, int32_t unused5, p2_unit_result* ret);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.finish-bind") void p2_tcp_finish_bind(int32_t socket, p2_unit_result* ret);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.start-listen") void p2_tcp_start_listen(int32_t socket, p2_unit_result* ret);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.finish-listen") void p2_tcp_finish_listen(int32_t socket, p2_unit_result* ret);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.accept") void p2_tcp_accept(int32_t socket, p2_accept_result* ret);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.subscribe") int32_t p2_tcp_subscribe(int32_t socket);
WASI_P2("wasi:sockets/tcp", "[method]tcp-socket.shutdown")
void p2_tcp_shutdown(int32_t socket, int32_t shutdown_type, p2_unit_result* ret);
WASI_P2("wasi:sockets/tcp", "[resource-drop]tcp-socket") void p2_drop_tcp_socket(int32_t socket);
