print("synshadow")
