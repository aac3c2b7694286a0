import json
import os
import re
import shutil
import sys
import textwrap


def answer() -> int:
    return 42
