{
  "targets": [
    {
      "target_name": "berth_sys",
      "sources": ["native/berth_sys.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
