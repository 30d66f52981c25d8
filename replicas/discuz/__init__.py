"""A local Discuz! X forum (绵州论坛): board lists, threads, archiver, login and fast reply, GBK or UTF-8."""
