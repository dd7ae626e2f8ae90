import Kiln
print("kiln")
