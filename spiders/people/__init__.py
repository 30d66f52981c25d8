"""People's Daily 领导留言板 (liuyan.people.com.cn): signed API path, browser capture path, page objects."""
