[package]
name = "policy"
