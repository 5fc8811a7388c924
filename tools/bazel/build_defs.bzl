"""Project-wide C++ rule wrappers: one place for copts and warnings."""

PROMSCRAPE_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]

def promscrape_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = PROMSCRAPE_COPTS + copts, **kwargs)

def promscrape_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(name = name, copts = PROMSCRAPE_COPTS + copts, **kwargs)

def promscrape_cc_test(name, copts = [], deps = [], data = [], **kwargs):
    native.cc_test(
        name = name,
        copts = PROMSCRAPE_COPTS + copts,
        deps = deps + ["//third_party:gtest_main"],
        data = data + ["//tools/sanitizers:suppressions"],
        **kwargs
    )

def promscrape_cc_fuzz_test(name, srcs, deps = [], corpus = [], **kwargs):
    """A libFuzzer target (build with --config=fuzz) and a CI smoke test.

    Without --config=fuzz the target links a small driver that replays the
    corpus files, so `bazel test //...` keeps the harness compiling and runs
    every seed once.
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = PROMSCRAPE_COPTS,
        deps = deps + select({
            "//tools/bazel:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:replay_main"],
        }),
        linkopts = select({
            "//tools/bazel:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
        tags = ["fuzzer"],
        **kwargs
    )
    native.sh_test(
        name = name + "_replay",
        srcs = ["//tests/fuzz:replay.sh"],
        args = ["$(location :%s)" % name] + ["$(locations %s)" % c for c in corpus],
        data = [":" + name, "//tools/sanitizers:suppressions"] + corpus,
    )
