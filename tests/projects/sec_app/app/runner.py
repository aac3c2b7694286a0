"""Runs commands and reads settings."""

import subprocess

import yaml


def run(command: str) -> int:
    return subprocess.call(command, shell=True)


def settings(text: str) -> object:
    return yaml.load(text)
