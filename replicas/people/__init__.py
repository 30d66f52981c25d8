"""Replica of People's Daily Online 领导留言板 (liuyan.people.com.cn): signed JSON APIs, SPA shells, WAF, back office."""
