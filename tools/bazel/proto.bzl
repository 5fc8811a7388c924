"""Protobuf and gRPC C++ code generation with the system protoc.

Bazel's native proto rules want @com_google_protobuf, which cannot be
downloaded here, so a genrule runs Debian's protoc (and grpc_cpp_plugin) and
a cc_library wraps the output. Imports are relative to the workspace root:
`import "proto/remote/v1/remote.proto";`.
"""

def promscrape_cc_proto(name, srcs, deps = [], grpc = False, visibility = None):
    """Generates C++ (and gRPC) code for `srcs` into cc_library `name`.

    Args:
      name: the cc_library.
      srcs: .proto files of this package.
      deps: other promscrape_cc_proto targets whose files `srcs` import.
      grpc: also generate service stubs.
      visibility: of the cc_library.
    """
    stems = [s[:-len(".proto")] for s in srcs]
    outs = [s + ".pb.h" for s in stems] + [s + ".pb.cc" for s in stems]
    if grpc:
        outs += [s + ".grpc.pb.h" for s in stems] + [s + ".grpc.pb.cc" for s in stems]
    dep_srcs = [d + "_srcs" for d in deps]
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + dep_srcs,
        visibility = visibility,
    )
    cmd = "protoc -I. --cpp_out=$(GENDIR)"
    if grpc:
        cmd += " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin)"
    cmd += " $(SRCS)"
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        tools = dep_srcs,
        outs = outs,
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["//third_party:protobuf"] + (["//third_party:grpcpp"] if grpc else []),
        visibility = visibility,
    )
