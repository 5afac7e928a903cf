{
  "targets": [
    {
      "target_name": "berth_sys",
      "sources": ["native/berth_sys.c", "native/sealed_copy.c", "native/api_lane.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "berth-monitor",
      "type": "executable",
      "sources": ["native/berth_monitor.c", "native/sealed_copy.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "berth-exec",
      "type": "executable",
      "sources": ["native/berth_exec.c", "native/berth_fast.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "berth-inspect",
      "type": "executable",
      "sources": ["native/berth_inspect.c", "native/berth_fast.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
