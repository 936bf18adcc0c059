from flowlint.cli import main

raise SystemExit(main())
