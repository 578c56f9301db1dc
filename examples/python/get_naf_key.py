#!/usr/bin/env python3
"""Get a NAF key from gbabridged (gbabridge.v1.GbaBridge/GetNafKey) from Python.

The stubs are generated from proto/gbabridge/v1/gbabridge.proto by the build (CMake
target python_stubs) into <build>/python; put that directory on PYTHONPATH:

    PYTHONPATH=build/python python3 examples/python/get_naf_key.py \
        --socket /run/gbabridge/gbabridged.sock --naf mef.example.com --ua 01000100AE

It prints the B-TID, the key expiry, the GBA mode and the key length; the key itself only
with --show-key. On error it prints the gRPC code, the machine-readable reason from the
`gbabridge-error-reason` trailer (the daemon's error contract, see the ERROR MODEL in
gbabridge.proto) and the message.

Exit status: 0 ok, 1 the daemon gave no key, 2 usage.
"""

import argparse
import datetime
import sys

try:
    import grpc
    from gbabridge.v1 import gbabridge_pb2, gbabridge_pb2_grpc
except ImportError as error:  # no grpcio, or the stubs are not on the path
    sys.exit(
        f"get_naf_key.py: {error}. Install python3-grpcio and python3-protobuf, build the "
        "stubs (cmake --build build --target python_stubs) and run with "
        "PYTHONPATH=build/python"
    )

REASON_TRAILER = "gbabridge-error-reason"
MODE_NAMES = {
    gbabridge_pb2.GBA_MODE_ME: "GBA_ME (the key is Ks_NAF)",
    gbabridge_pb2.GBA_MODE_U: "GBA_U (the key is Ks_ext_NAF)",
}


def parse_ua(text):
    """The Ua security protocol id: 5 bytes in hex (TS 33.220 Annex H)."""
    try:
        ua = bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None
    if len(ua) != 5:
        raise argparse.ArgumentTypeError(
            f"the Ua id is 5 bytes (10 hex digits), e.g. 01000100AE; got {len(ua)}"
        )
    return ua


def error_reason(error):
    """The reason trailer of a failed call, or ERROR_REASON_UNSPECIFIED."""
    for key, value in error.trailing_metadata() or ():
        if key == REASON_TRAILER:
            return value
    return "ERROR_REASON_UNSPECIFIED"


def main():
    parser = argparse.ArgumentParser(
        description="Get a NAF key from gbabridged (GetNafKey).",
        epilog="Ua ids: 01000100AE TLS with cipher suite 0x00AE (TS 33.222), "
        "0100000002 HTTP Digest (TS 24.109), 0100000007 TLS 1.3 shared key.",
    )
    parser.add_argument(
        "--socket",
        default="/run/gbabridge/gbabridged.sock",
        help="gbabridged's Unix socket (default: %(default)s)",
    )
    parser.add_argument("--naf", required=True, help="the NAF's FQDN, e.g. mef.example.com")
    parser.add_argument(
        "--ua",
        type=parse_ua,
        default=parse_ua("01000100AE"),
        help="Ua security protocol id, 5 bytes in hex (default: 01000100AE)",
    )
    parser.add_argument(
        "--force-bootstrap",
        action="store_true",
        help="bootstrap again first (e.g. the NAF no longer knows the B-TID)",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds (default: 60)")
    parser.add_argument(
        "--show-key", action="store_true", help="print the key in hex (it is a secret)"
    )
    args = parser.parse_args()

    target = args.socket if args.socket.startswith("unix:") else "unix:" + args.socket
    request = gbabridge_pb2.GetNafKeyRequest(
        naf_fqdn=args.naf,
        ua_security_protocol_id=args.ua,
        force_bootstrap=args.force_bootstrap,
    )
    # A Unix socket: the daemon identifies this process by its uid/gid, no TLS needed.
    with grpc.insecure_channel(target) as channel:
        stub = gbabridge_pb2_grpc.GbaBridgeStub(channel)
        try:
            response = stub.GetNafKey(request, timeout=args.timeout)
        except grpc.RpcError as error:
            print(
                f"get_naf_key.py: {error.code().name}/{error_reason(error)}: "
                f"{error.details()}",
                file=sys.stderr,
            )
            return 1

    expiry = datetime.datetime.fromtimestamp(
        response.key_expiry.seconds, tz=datetime.timezone.utc
    )
    print(f"B-TID:      {response.btid}")
    print(f"Expires:    {expiry.isoformat()}")
    print(f"GBA mode:   {MODE_NAMES.get(response.gba_mode, response.gba_mode)}")
    print(f"NAF_Id:     {response.naf_id.hex()}")
    print(f"Key length: {len(response.key)} bytes")
    if args.show_key:
        print(f"Key:        {response.key.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
