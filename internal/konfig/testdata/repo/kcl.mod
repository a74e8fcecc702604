[package]
name = "repo"
version = "0.1.0"
