{
  "targets": [
    {
      "target_name": "runnel_crc32c",
      "sources": ["src/crc32c.c"],
      "cflags_c": ["-std=gnu11", "-O3"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11", "-O3"] }
    }
  ]
}
