from servicekit.cli import entrypoint
from telecom.service import DEFINITION

main = entrypoint(DEFINITION)

if __name__ == "__main__":
    main()
