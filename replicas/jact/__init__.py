"""Replica of a Hanweb "jact" 市长信箱 (mailpublist.do / mailpubdetail.do), in UTF-8 and GBK builds."""
