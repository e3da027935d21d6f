from carvision.service import DEFINITION
from servicekit.cli import entrypoint

main = entrypoint(DEFINITION)

if __name__ == "__main__":
    main()
