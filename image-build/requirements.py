"""Print the courier's runtime requirements (install_requires and extras) from setup.cfg."""

import configparser
import sys


def main() -> None:
    """Print one requirement per line."""
    parser = configparser.ConfigParser()
    parser.read(sys.argv[1])
    lines = parser["options"]["install_requires"].splitlines()
    for extra in sys.argv[2:]:
        lines += parser["options.extras_require"][extra].splitlines()
    print("\n".join(line.strip() for line in lines if line.strip()))


if __name__ == "__main__":
    main()
