from envol.cli import run

run()
