"""Five city 市长信箱 replicas (大连, 长沙, 天津, Hanweb dataproxy, 北京 12345) over one shared letter world."""
